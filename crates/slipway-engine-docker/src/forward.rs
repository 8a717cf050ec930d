//! Reaching a port of a container that has no network (`NetworkMode::None`,
//! docs/architecture.md "Security model"). A network-isolated inference
//! container must reach nothing: not other containers, not the host's
//! ports, not the internet. So it gets no network at all, only its own
//! loopback, and the server reaches it from inside: each connection to a
//! loopback listener on the host is answered by a socket created *in the
//! container's network namespace* (a short-lived thread enters it with
//! `setns`, connects to `127.0.0.1:PORT` there and hands the socket back;
//! a socket stays in the namespace it was made in), and bytes are copied
//! both ways. Needs the engine on this host and the privilege to enter its
//! containers' namespaces (root, as rootful Podman or Docker run).
//!
//! Hand-written: no crate does "connect inside another network
//! namespace"; rustix provides the system call.

use rustix::thread::{move_into_link_name_space, LinkNameSpaceType};
use slipway_core::ports::engine::{EngineError, PortForward};
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

/// How long one connect inside the namespace may take: a local socket
/// either connects or is refused at once.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens the network namespace of process `pid` and checks, with one
/// throw-away attempt, that this process may enter it; then serves a
/// loopback listener that forwards to `port` inside it.
pub(crate) async fn forward(pid: u32, port: u16) -> Result<PortForward, EngineError> {
    let path = format!("/proc/{pid}/ns/net");
    // Held open for the forward's life: the namespace stays the one the
    // container had, even if the pid were reused later.
    let ns = Arc::new(File::open(&path).map_err(|e| EngineError::Engine {
        detail: format!(
            "opening {path} to reach the container's port {port}: {e} (the server must run on the engine's host, as root)"
        ),
    })?);
    enter_check(ns.clone()).await?;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|e| EngineError::Engine {
            detail: format!("binding a loopback port for the container's port {port}: {e}"),
        })?;
    let addr = listener.local_addr().map_err(|e| EngineError::Engine {
        detail: format!("reading the loopback port: {e}"),
    })?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                continue;
            };
            let ns = ns.clone();
            tokio::spawn(async move {
                // A refused connect (the server in the container is not
                // listening yet) closes the client's connection: to it,
                // that reads as "not ready", which is what it is.
                let Ok(inner) = connect_inside(ns, port).await else {
                    return;
                };
                let (Ok(mut inner), mut client) = (tokio::net::TcpStream::from_std(inner), client)
                else {
                    return;
                };
                let _ = inner.set_nodelay(true);
                let _ = client.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut inner).await;
            });
        }
    });
    Ok(PortForward::new(addr, Box::new(AbortOnDrop(task))))
}

/// Ends the accept loop (and so the listener) when the forward is dropped;
/// connections already forwarded end with the container.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Fails early, with the reason, when entering the namespace is refused.
async fn enter_check(ns: Arc<File>) -> Result<(), EngineError> {
    in_namespace(ns, |_| Ok(())).await
}

/// Connects to `127.0.0.1:port` inside the namespace `ns`.
async fn connect_inside(ns: Arc<File>, port: u16) -> Result<TcpStream, EngineError> {
    in_namespace(ns, move |_| {
        let target = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let stream = TcpStream::connect_timeout(&target, CONNECT_TIMEOUT)?;
        stream.set_nonblocking(true)?;
        Ok(stream)
    })
    .await
}

/// Runs `f` on a fresh thread that has entered `ns`. A fresh thread, not
/// one of tokio's pools: the thread's namespace changes, and it must end
/// with `f` so no later work runs in the container's namespace.
pub(crate) async fn in_namespace<T: Send + 'static>(
    ns: Arc<File>,
    f: impl FnOnce(&File) -> std::io::Result<T> + Send + 'static,
) -> Result<T, EngineError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("slipway-netns".into())
        .spawn(move || {
            let result = move_into_link_name_space(ns.as_fd(), Some(LinkNameSpaceType::Network))
                .map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        format!(
                            "entering the container's network namespace: {e} (the server must run as root on the engine's host)"
                        ),
                    )
                })
                .and_then(|()| f(&ns));
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(EngineError::Engine {
            detail: format!("starting a thread to reach the container: {e}"),
        });
    }
    rx.await
        .map_err(|_| EngineError::Engine {
            detail: "the thread reaching the container ended without an answer".into(),
        })?
        .map_err(|e| EngineError::Engine {
            detail: e.to_string(),
        })
}
