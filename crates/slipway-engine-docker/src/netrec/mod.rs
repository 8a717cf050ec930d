//! Recording what a network-isolated container tries to reach
//! ([`ContainerEngine::start_recorded`](slipway_core::ports::engine::ContainerEngine::start_recorded),
//! docs/architecture.md "Security model"). The container keeps no network
//! (`NetworkMode::None`, loopback only); inside its network namespace the
//! server adds, before the container's process runs:
//! - "AnyIP": every address is local (`local 0.0.0.0/0 dev lo`, and
//!   `local ::/0`), so a connection to any address lands on the loopback
//!   of the namespace and nothing leaves it;
//! - a resolver on port 53 (UDP and TCP) that answers every A query with
//!   an address of its own from 198.18.0.0/15 (remembering which name it
//!   gave out), AAAA and every other type with no records;
//! - sinks on ports 80 and 443 that read what a connection sends (a few
//!   KiB, a few seconds), record its HTTP request or TLS server name and
//!   close it.
//!
//! Connections to any other port find no listener and are refused at once
//! (not recorded), as is UDP other than DNS. Port 8080, where an inference
//! container serves, is never bound. Sockets are created by a thread that
//! entered the namespace (`forward.rs`): a socket stays in the namespace
//! it was made in, so the listeners serve the container and only it.
//!
//! Everything the container sends is hostile: reads are bounded in size
//! and time, at most [`MAX_ATTEMPTS`] attempts are recorded, the channel
//! and the connections handled at once are bounded.

mod dns;
mod sink;

use crate::forward::in_namespace;
use crate::{DockerEngine, SHORT_TIMEOUT_SECS};
use futures::StreamExt;
use slipway_core::ports::engine::{ContainerEngine, ContainerId};
use slipway_core::ports::engine::{EngineError, NetworkAttempt, NetworkRecorder};
use std::collections::HashMap;
use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinSet;

/// Attempts recorded per container; later ones are dropped.
pub(crate) const MAX_ATTEMPTS: usize = 1000;
/// Attempts waiting for the caller; a caller that does not keep up loses
/// the excess rather than the server's memory.
const CHANNEL: usize = 256;
/// Names the resolver hands addresses to; past it names get NXDOMAIN
/// (still recorded).
const MAX_NAMES: usize = 4096;
/// Connections one listener handles at once; more are closed at once.
const MAX_CONNECTIONS: usize = 32;
/// The first address handed out: 198.18.0.0/15 is reserved for
/// benchmarking (RFC 2544), so it names nothing real.
const FIRST_ADDRESS: u32 = u32::from_be_bytes([198, 18, 0, 1]);
const LAST_ADDRESS: u32 = u32::from_be_bytes([198, 19, 255, 254]);
/// `lo` is interface 1 in every network namespace (the kernel's
/// LOOPBACK_IFINDEX).
const LOOPBACK_INDEX: u32 = 1;
/// The local routing table (`ip route … table local`).
const LOCAL_TABLE: u32 = 255;
/// How often the container's process is looked for when the kernel has no
/// pidfd to wait on.
const EXIT_POLL: Duration = Duration::from_secs(1);

/// What the listeners share: the names handed out and the way out.
pub(crate) struct Shared {
    names: Mutex<Names>,
    tx: tokio::sync::mpsc::Sender<NetworkAttempt>,
    recorded: AtomicUsize,
}

#[derive(Default)]
struct Names {
    by_name: HashMap<String, Ipv4Addr>,
    by_address: HashMap<Ipv4Addr, String>,
}

impl Shared {
    /// Sends `a` on unless the bound is reached or the caller is behind.
    pub(crate) fn record(&self, a: NetworkAttempt) {
        if self.recorded.fetch_add(1, Ordering::Relaxed) < MAX_ATTEMPTS {
            let _ = self.tx.try_send(a);
        }
    }

    /// The address handed out for `name` (the same one every time); `None`
    /// once [`MAX_NAMES`] names have one.
    pub(crate) fn address_for(&self, name: &str) -> Option<Ipv4Addr> {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = names.by_name.get(name) {
            return Some(*a);
        }
        let next = FIRST_ADDRESS + u32::try_from(names.by_name.len()).ok()?;
        if names.by_name.len() >= MAX_NAMES || next > LAST_ADDRESS {
            return None;
        }
        let addr = Ipv4Addr::from(next);
        names.by_name.insert(name.to_owned(), addr);
        names.by_address.insert(addr, name.to_owned());
        Some(addr)
    }

    /// The name `addr` was handed out for, if it was.
    pub(crate) fn name_for(&self, addr: IpAddr) -> Option<String> {
        let IpAddr::V4(v4) = addr else {
            return None;
        };
        let names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        names.by_address.get(&v4).cloned()
    }
}

/// The sockets made inside the namespace.
struct Sockets {
    udp: Vec<std::net::UdpSocket>,
    /// Listener and the port it serves.
    tcp: Vec<(std::net::TcpListener, u16)>,
}

/// Sets the namespace of process `pid` up (see the module doc) and starts
/// recording. The recording ends when the process ends or the recorder is
/// dropped. The process may not be running yet (a Podman container that
/// is only initialised): its namespace exists already.
pub(crate) async fn record(pid: u32) -> Result<NetworkRecorder, EngineError> {
    let path = format!("/proc/{pid}/ns/net");
    let ns = Arc::new(File::open(&path).map_err(|e| EngineError::Engine {
        detail: format!("opening {path}: {e} (the server must run on the engine's host, as root)"),
    })?);
    let exited = watch_exit(pid);
    let sockets = in_namespace(ns, |_| set_up()).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(CHANNEL);
    let shared = Arc::new(Shared {
        names: Mutex::default(),
        tx,
        recorded: AtomicUsize::new(0),
    });
    let mut servers = JoinSet::new();
    for socket in sockets.udp {
        let socket = tokio::net::UdpSocket::from_std(socket).map_err(io_err)?;
        servers.spawn(dns::serve_udp(socket, shared.clone()));
    }
    for (listener, port) in sockets.tcp {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(io_err)?;
        servers.spawn(serve_tcp(listener, port, shared.clone()));
    }
    drop(shared);
    // The servers live until the process ends; dropping the set (here, or
    // when the guard aborts this task) aborts them, and with them goes the
    // last sender, which ends the recorder's stream.
    let supervisor = tokio::spawn(async move {
        exited.await;
        drop(servers);
    });
    let attempts =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|a| (a, rx)) })
            .boxed();
    Ok(NetworkRecorder::new(
        attempts,
        Box::new(AbortOnDrop(supervisor)),
    ))
}

impl DockerEngine {
    /// On Podman the namespace is set up between `init` and `start`, so
    /// the recorder is in place before the container's first instruction.
    /// Docker has no `init`: the container is started first and the
    /// recorder set up right after, so attempts made in its first moments
    /// (before the set-up, a few milliseconds) are lost, or refused
    /// unrecorded. A recorder that cannot be set up does not fail the
    /// start: it is `unsupported` with the reason.
    pub(crate) async fn start_recorded_here(
        &self,
        id: &ContainerId,
    ) -> Result<NetworkRecorder, EngineError> {
        if matches!(self.endpoint, crate::raw::Endpoint::Tcp(_)) {
            self.start(id).await?;
            return Ok(NetworkRecorder::unsupported(format!(
                "the engine at {} is remote: the server cannot enter its containers' network namespaces",
                self.host
            )));
        }
        let initialised = self.init(id).await.unwrap_or(false);
        if initialised {
            let recorder = match self.pid(id).await {
                Ok(pid) => record(pid).await,
                Err(e) => Err(e),
            };
            self.start(id).await?;
            return Ok(recorder.unwrap_or_else(|e| {
                NetworkRecorder::unsupported(format!("setting up the network recorder: {e}"))
            }));
        }
        self.start(id).await?;
        let recorder = match self.pid(id).await {
            Ok(pid) => record(pid).await,
            Err(e) => Err(e),
        };
        Ok(recorder.unwrap_or_else(|e| {
            NetworkRecorder::unsupported(format!(
                "setting up the network recorder after the start (this engine cannot prepare a container before it runs): {e}"
            ))
        }))
    }

    /// Podman's `init`: creates the container's namespaces (its network
    /// namespace included) and its process, which waits to be started.
    /// `true` when the container is now initialised and not running;
    /// `false` when the engine has no such call (Docker answers 404 for
    /// the unknown path) or the container is past it (304).
    async fn init(&self, id: &ContainerId) -> Result<bool, EngineError> {
        // Podman serves its own API under any version prefix it supports;
        // 4.0.0 is the oldest of the calls used here.
        let path = format!(
            "/v4.0.0/libpod/containers/{}/init",
            percent_encoding::utf8_percent_encode(id.as_str(), percent_encoding::NON_ALPHANUMERIC)
        );
        let (status, body) = self
            .endpoint
            .post(&path, Duration::from_secs(SHORT_TIMEOUT_SECS))
            .await?;
        match status {
            200..=299 => Ok(true),
            304 | 404 => Ok(false),
            _ => Err(EngineError::Engine {
                detail: format!(
                    "initialising container {id}: HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                ),
            }),
        }
    }
}

fn io_err(e: std::io::Error) -> EngineError {
    EngineError::Engine {
        detail: format!("setting up the network recorder: {e}"),
    }
}

/// Ends the recorder's tasks with the recorder.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A future that completes when process `pid` has ended: its pidfd
/// polled (immune to pid reuse), or on kernels without pidfds `/proc/PID`
/// gone. Polled rather than awaited: registering a raw descriptor with
/// tokio takes `unsafe`, which this workspace forbids; a second of delay
/// at the end of a container costs nothing.
fn watch_exit(pid: u32) -> futures::future::BoxFuture<'static, ()> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let pidfd = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .and_then(|p| rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).ok());
    let proc = std::path::PathBuf::from(format!("/proc/{pid}"));
    Box::pin(async move {
        loop {
            let ended = match &pidfd {
                Some(fd) => {
                    let mut fds = [PollFd::new(fd, PollFlags::IN)];
                    let now = Timespec {
                        tv_sec: 0,
                        tv_nsec: 0,
                    };
                    // Readable once the process has exited; an error
                    // means the descriptor is unusable: stop recording.
                    poll(&mut fds, Some(&now)).map_or(true, |n| n > 0)
                }
                None => !proc.exists(),
            };
            if ended {
                return;
            }
            tokio::time::sleep(EXIT_POLL).await;
        }
    })
}

/// Accepts connections on one port and hands each to its handler, at most
/// [`MAX_CONNECTIONS`] at once (the set is aborted with this task).
async fn serve_tcp(listener: tokio::net::TcpListener, port: u16, shared: Arc<Shared>) {
    let mut handling = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                if handling.len() >= MAX_CONNECTIONS {
                    continue;
                }
                let shared = shared.clone();
                if port == 53 {
                    handling.spawn(dns::serve_tcp(stream, shared));
                } else {
                    handling.spawn(sink::serve(stream, port, shared));
                }
            }
            Some(_) = handling.join_next(), if !handling.is_empty() => {}
        }
    }
}

/// In the container's namespace (on the thread that entered it): every
/// address local, then the sockets. IPv6 is optional (a host may have it
/// off); IPv4 is not.
fn set_up() -> std::io::Result<Sockets> {
    any_ip()?;
    let mut sockets = Sockets {
        udp: Vec::new(),
        tcp: Vec::new(),
    };
    for (ip, required) in [
        (IpAddr::V4(Ipv4Addr::UNSPECIFIED), true),
        (IpAddr::V6(Ipv6Addr::UNSPECIFIED), false),
    ] {
        match bind_all(ip) {
            Ok((udp, tcp)) => {
                sockets.udp.push(udp);
                sockets.tcp.extend(tcp);
            }
            Err(e) if required => return Err(e),
            Err(_) => {}
        }
    }
    Ok(sockets)
}

/// UDP 53 and TCP 53, 80, 443 on `ip` (IPv6 sockets IPv6-only, so they
/// do not collide with the IPv4 ones).
fn bind_all(
    ip: IpAddr,
) -> std::io::Result<(std::net::UdpSocket, Vec<(std::net::TcpListener, u16)>)> {
    use socket2::{Domain, Protocol, Socket, Type};
    let domain = if ip.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let make = |ty: Type, proto: Protocol, port: u16| -> std::io::Result<Socket> {
        let s = Socket::new(domain, ty, Some(proto))?;
        if ip.is_ipv6() {
            s.set_only_v6(true)?;
        }
        s.set_nonblocking(true)?;
        s.bind(&SocketAddr::new(ip, port).into())?;
        Ok(s)
    };
    let udp = make(Type::DGRAM, Protocol::UDP, 53)?;
    let mut tcp = Vec::new();
    for port in [53, 80, 443] {
        let s = make(Type::STREAM, Protocol::TCP, port)?;
        s.listen(128)?;
        tcp.push((s.into(), port));
    }
    Ok((udp.into(), tcp))
}

/// `ip route add local 0.0.0.0/0 dev lo table local` (and `::/0`), over
/// netlink with the `rtnetlink` crate. Its connection is async: it runs on
/// a small runtime of this thread, so its socket is made in the namespace
/// this thread entered. Replacing, not adding: a second set-up of the same
/// namespace is no error.
fn any_ip() -> std::io::Result<()> {
    use rtnetlink::packet_route::route::{RouteScope, RouteType};
    use rtnetlink::RouteMessageBuilder;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let (connection, handle, _) = rtnetlink::new_connection()?;
        tokio::spawn(connection);
        let v4 = RouteMessageBuilder::<Ipv4Addr>::new()
            .destination_prefix(Ipv4Addr::UNSPECIFIED, 0)
            .output_interface(LOOPBACK_INDEX)
            .table_id(LOCAL_TABLE)
            .kind(RouteType::Local)
            .scope(RouteScope::Host)
            .build();
        handle
            .route()
            .add(v4)
            .replace()
            .execute()
            .await
            .map_err(|e| std::io::Error::other(format!("adding the local IPv4 route: {e}")))?;
        let v6 = RouteMessageBuilder::<Ipv6Addr>::new()
            .destination_prefix(Ipv6Addr::UNSPECIFIED, 0)
            .output_interface(LOOPBACK_INDEX)
            .table_id(LOCAL_TABLE)
            .kind(RouteType::Local)
            .scope(RouteScope::Host)
            .build();
        // IPv6 may be off in the namespace: connections over it then fail
        // at once, which is isolation too.
        let _ = handle.route().add(v6).replace().execute().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_distinct_stable_addresses_up_to_the_bound() {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let s = Shared {
            names: Mutex::default(),
            tx,
            recorded: AtomicUsize::new(0),
        };
        let a = s.address_for("a.example").unwrap();
        let b = s.address_for("b.example").unwrap();
        assert_eq!(a, Ipv4Addr::new(198, 18, 0, 1));
        assert_ne!(a, b);
        assert_eq!(s.address_for("a.example"), Some(a));
        assert_eq!(s.name_for(IpAddr::V4(b)).as_deref(), Some("b.example"));
        assert_eq!(s.name_for(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))), None);
        for i in 0..MAX_NAMES {
            let _ = s.address_for(&format!("n{i}"));
        }
        assert_eq!(s.address_for("one.too.many"), None);
        assert!(Ipv4Addr::from(FIRST_ADDRESS + MAX_NAMES as u32) <= Ipv4Addr::from(LAST_ADDRESS));
    }
}
