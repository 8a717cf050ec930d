//! The suite's network cases: no network, a port reached without one, a
//! job's own network whose hosts find each other, and internal networks
//! closed to the engine's host.

use super::{step, wait_for_file, Suite, SUITE_LABEL};
use crate::ports::engine::{ContainerId, EngineError, NetworkMode, LABEL_ACCOUNT, LABEL_JOB_ARN};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

impl Suite<'_> {
    pub(super) async fn no_network(&self) {
        let mut spec = self.spec(
            "nonet",
            "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
        );
        spec.network = NetworkMode::None;
        let (id, status) = self.run_to_end(&spec).await;
        assert_eq!(status.code, 0);
        let lines: Vec<String> = self.lines_of(&id).await;
        assert_eq!(lines, ["lo"], "only loopback without a network");
        self.assert_no_addresses(&id).await;
        self.engine.remove(&id, false).await.unwrap();
    }

    /// The engine reports no network address for the container.
    async fn assert_no_addresses(&self, id: &ContainerId) {
        let state = self.engine.inspect(id).await.unwrap();
        assert!(state.ip_addresses.is_empty(), "{:?}", state.ip_addresses);
    }

    /// A container with no network serves on its own loopback; the
    /// server reaches it through `reach_port`, and nothing else does.
    pub(super) async fn reach_port(&self) {
        let script = r#"mkdir -p /tmp/www && echo reach-ok > /tmp/www/index.html
tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' > /tmp/www/nets
exec httpd -f -p 8080 -h /tmp/www"#;
        let mut spec = self.spec("reach", script);
        spec.network = NetworkMode::None;
        let id = self.start(&spec).await;
        let forward = step("reach_port", self.engine.reach_port(&id, 8080))
            .await
            .unwrap();
        assert!(forward.addr.ip().is_loopback(), "{forward:?}");
        let body = step("http", http_get(forward.addr.ip(), forward.addr.port())).await;
        assert!(body.contains("reach-ok"), "{body}");
        self.assert_no_addresses(&id).await;
        let addr = forward.addr;
        drop(forward);
        // The listener closes with the forward (the accept loop is aborted).
        step("listener closed", async {
            while tokio::net::TcpStream::connect(addr).await.is_ok() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        self.engine.remove(&id, true).await.unwrap();
        assert!(self.engine.reach_port(&id, 8080).await.is_err());
    }

    /// A distributed training job's network: two containers on an
    /// internal network of their own reach each other by name, through
    /// the `/etc/hosts` entries and fixed addresses the network's subnet
    /// allows (it has no DNS); the network is removed afterwards (twice:
    /// idempotent).
    pub(super) async fn cluster_network(&self) {
        let net = format!("slipway-suite-{}-cluster", self.run);
        let info = self.engine.ensure_network(&net, true).await.unwrap();
        let addrs = info
            .container_addresses(2)
            .unwrap_or_else(|| panic!("no room for 2 containers: {info:?}"));
        let hosts: Vec<(String, std::net::IpAddr)> = vec![
            ("algo-1".into(), addrs[0].into()),
            ("algo-2".into(), addrs[1].into()),
        ];
        let mut a = self.spec("algo-1", "echo from-algo-1 | nc -l -p 7777");
        a.network = NetworkMode::Named(net.clone());
        a.hostname = Some("algo-1".into());
        a.ipv4_address = Some(addrs[0]);
        a.extra_hosts = hosts.clone();
        let a_id = self.start(&a).await;
        let a_ip = self.engine.inspect(&a_id).await.unwrap().ip_addresses;
        assert_eq!(a_ip.get(&net), Some(&std::net::IpAddr::V4(addrs[0])));
        let script =
            "for i in $(seq 50); do nc algo-1 7777 </dev/null && exit 0; sleep 0.2; done; exit 1";
        let mut b = self.spec("algo-2", script);
        b.network = NetworkMode::Named(net.clone());
        b.hostname = Some("algo-2".into());
        b.ipv4_address = Some(addrs[1]);
        b.extra_hosts = hosts;
        let (b_id, status) = self.run_to_end(&b).await;
        let lines: Vec<String> = self.lines_of(&b_id).await;
        assert_eq!(status.code, 0, "algo-2 could not reach algo-1: {lines:?}");
        assert!(lines.iter().any(|l| l == "from-algo-1"), "{lines:?}");
        self.engine.remove(&a_id, true).await.unwrap();
        self.engine.remove(&b_id, true).await.unwrap();
        self.engine.remove_network(&net).await.unwrap();
        self.engine.remove_network(&net).await.unwrap();
    }

    /// A container on an internal network opens no connection to the
    /// engine's host and resolves no name through DNS. The host listens on
    /// every address, IPv4 and IPv6; the container tries the network's
    /// gateway (if it has one) and every IPv6 link-local address of the
    /// host's bridges, the way a hostile container would find them.
    pub(super) async fn internal_network_closed_to_host(&self) {
        let listener = tokio::net::TcpSocket::new_v6().unwrap();
        listener.bind("[::]:0".parse().unwrap()).unwrap();
        let listener = listener.listen(16).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = tokio::spawn(async move { listener.accept().await.is_ok() });
        let net = format!("slipway-suite-{}-closed", self.run);
        let info = self.engine.ensure_network(&net, true).await.unwrap();
        let script = format!(
            r#"while [ ! -f /out/targets ]; do sleep 0.1; done
sleep 3 # the container's own link-local address leaves its tentative state
for t in $(cat /out/targets); do
  (if nc -w 3 "$t" {port} </dev/null; then echo "host-reached $t"; fi) &
done
wait
if timeout 10 nslookup example.com >/dev/null 2>&1; then echo dns-answered; else echo dns-closed; fi
echo done"#
        );
        let mut spec = self.spec("closed", &script);
        spec.network = NetworkMode::Named(net.clone());
        let out = self.out_dir(&mut spec, "closed");
        let id = self.start(&spec).await;
        // The bridge exists once a container is on it.
        let mut targets: Vec<String> = info
            .ipv4_gateway
            .map(|g| g.to_string())
            .into_iter()
            .collect();
        targets.extend(
            host_bridge_link_locals()
                .into_iter()
                .map(|a| format!("{a}%eth0")),
        );
        std::fs::write(out.join("targets"), targets.join("\n")).unwrap();
        let status = step("wait", self.engine.wait(&id)).await.unwrap();
        let lines: Vec<String> = self.lines_of(&id).await;
        assert_eq!(status.code, 0, "{lines:?}");
        assert!(lines.iter().any(|l| l == "done"), "{lines:?}");
        assert!(
            !lines.iter().any(|l| l.starts_with("host-reached")),
            "tried {targets:?}: {lines:?}"
        );
        assert!(lines.iter().any(|l| l == "dns-closed"), "{lines:?}");
        assert!(
            !accepted.is_finished(),
            "the host's listener accepted a connection"
        );
        accepted.abort();
        self.engine.remove(&id, true).await.unwrap();
        self.engine.remove_network(&net).await.unwrap();
    }

    /// An internal network: an address on it, no route out.
    /// Also list by label, and removal being idempotent.
    pub(super) async fn internal_network(&self) {
        let net = &self.cfg.internal_network;
        self.engine.ensure_network(net, true).await.unwrap();
        self.engine.ensure_network(net, true).await.unwrap();
        assert!(matches!(
            self.engine.ensure_network(net, false).await,
            Err(EngineError::Engine { .. })
        ));
        let script = "cat /proc/net/route > /out/route; exec sleep 60";
        let mut spec = self.spec("isolated", script);
        spec.network = NetworkMode::Named(net.clone());
        let out = self.out_dir(&mut spec, "isolated");
        let id = self.start(&spec).await;
        let state = self.engine.inspect(&id).await.unwrap();
        assert!(
            state.ip_addresses.contains_key(net),
            "no address on {net}: {state:?}"
        );
        self.engine.start(&id).await.unwrap(); // already running: Ok
        wait_for_file(&out.join("route")).await;
        let route = std::fs::read_to_string(out.join("route")).unwrap();
        assert!(
            !has_default_route(&route),
            "internal network has a default route:\n{route}"
        );

        let listed = self
            .engine
            .list_by_label(SUITE_LABEL, Some(&self.run))
            .await
            .unwrap();
        let me = listed.iter().find(|c| c.id == id).expect("listed by label");
        assert!(me.running);
        assert_eq!(me.name, spec.name);
        assert_eq!(me.labels.get(LABEL_ACCOUNT).unwrap(), "000000000000");
        let by_key = self
            .engine
            .list_by_label(LABEL_JOB_ARN, None)
            .await
            .unwrap();
        assert!(by_key.iter().any(|c| c.id == id));

        self.engine.remove(&id, true).await.unwrap();
        self.engine.remove(&id, true).await.unwrap();
        assert!(matches!(
            self.engine.inspect(&id).await,
            Err(EngineError::NotFound(_))
        ));
        assert!(matches!(
            self.engine.start(&id).await,
            Err(EngineError::NotFound(_))
        ));

        // The default network, by contrast, routes out.
        let mut spec = self.spec("routed", "cat /proc/net/route");
        spec.network = NetworkMode::Default;
        let (id, _) = self.run_to_end(&spec).await;
        let route: Vec<String> = self.lines_of(&id).await;
        assert!(has_default_route(&route.join("\n")), "{route:?}");
        self.engine.remove(&id, false).await.unwrap();
    }
}

/// `/proc/net/route` lists a default route as destination `00000000`.
fn has_default_route(table: &str) -> bool {
    table
        .lines()
        .skip(1)
        .any(|l| l.split_whitespace().nth(1) == Some("00000000"))
}

/// The IPv6 link-local addresses of the host's bridge interfaces, from
/// `/proc/net/if_inet6` (32 hex digits, index, prefix, scope, flags, name).
fn host_bridge_link_locals() -> Vec<std::net::Ipv6Addr> {
    let table = std::fs::read_to_string("/proc/net/if_inet6").unwrap_or_default();
    table
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (hex, name) = (f.first()?, f.get(5)?);
            let is_bridge = Path::new("/sys/class/net")
                .join(name)
                .join("bridge")
                .exists();
            let bits = u128::from_str_radix(hex, 16).ok()?;
            let addr = std::net::Ipv6Addr::from(bits);
            (is_bridge && addr.segments()[0] == 0xfe80).then_some(addr)
        })
        .collect()
}

/// A bare HTTP/1.0 GET, retried until the server listens.
async fn http_get(ip: std::net::IpAddr, port: u16) -> String {
    loop {
        if let Ok(mut s) = tokio::net::TcpStream::connect((ip, port)).await {
            let req = b"GET /index.html HTTP/1.0\r\nHost: suite\r\n\r\n";
            if s.write_all(req).await.is_ok() {
                let mut body = String::new();
                if s.read_to_string(&mut body).await.is_ok() && !body.is_empty() {
                    return body;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
