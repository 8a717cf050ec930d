//! What a simulated image does when it runs: the exit it ends with, the
//! lines it prints, the files it leaves in its mounts, how long it runs,
//! and, for inference images, how its HTTP server answers.

use bytes::Bytes;
use slipway_core::ports::engine::{ContainerSpec, LogSource};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Called when a container starts, in the caller's task (so a panic here
/// is a panic of the job's runner: the supervision tests use that).
pub type StartHook = Arc<dyn Fn(&Started<'_>) + Send + Sync>;

/// What a start hook sees.
pub struct Started<'a> {
    pub spec: &'a ContainerSpec,
}

impl Started<'_> {
    /// Where `container_path` is on the host, through the container's
    /// bind mounts (the deepest mount that holds it).
    pub fn host_path(&self, container_path: &str) -> Option<PathBuf> {
        host_path(self.spec, container_path)
    }
}

/// The host path behind `container_path`, through `spec`'s mounts.
pub(crate) fn host_path(spec: &ContainerSpec, container_path: &str) -> Option<PathBuf> {
    spec.mounts
        .iter()
        .filter(|m| {
            container_path == m.container_path
                || container_path.starts_with(&format!("{}/", m.container_path))
        })
        .max_by_key(|m| m.container_path.len())
        .map(|m| {
            let rest = container_path[m.container_path.len()..].trim_start_matches('/');
            if rest.is_empty() {
                m.host_path.clone()
            } else {
                m.host_path.join(rest)
            }
        })
}

/// One run of an image.
#[derive(Clone)]
pub struct Script {
    pub(crate) exit_code: i64,
    pub(crate) lines: Vec<(LogSource, String)>,
    pub(crate) files: Vec<(String, Vec<u8>)>,
    pub(crate) runs_for: Duration,
    pub(crate) hangs: bool,
    /// Exit code on SIGTERM; `None`: SIGTERM is ignored (killed after the grace).
    pub(crate) sigterm_exit: Option<i64>,
    pub(crate) serve: Option<Serve>,
    pub(crate) on_start: Option<StartHook>,
    /// What the container of a distributed job's host runs instead
    /// (by hostname: `algo-2`).
    pub(crate) hosts: Vec<(String, Script)>,
}

impl Script {
    /// Exits with `code` at once.
    pub fn exits(code: i64) -> Self {
        Self {
            exit_code: code,
            lines: Vec::new(),
            files: Vec::new(),
            runs_for: Duration::ZERO,
            hangs: false,
            sigterm_exit: Some(143),
            serve: None,
            on_start: None,
            hosts: Vec::new(),
        }
    }

    /// Exits 0 at once.
    pub fn ok() -> Self {
        Self::exits(0)
    }

    /// Killed at the memory limit: exit 137, as Podman reports an OOM kill
    /// (`oom_killed` stays false; docs/jobs.md "Instance types").
    pub fn oom() -> Self {
        Self::exits(137)
    }

    /// Serves the inference contract until stopped.
    pub fn serves(serve: Serve) -> Self {
        Self {
            serve: Some(serve),
            hangs: true,
            ..Self::ok()
        }
    }

    pub fn stdout(mut self, line: impl Into<String>) -> Self {
        self.lines.push((LogSource::Stdout, line.into()));
        self
    }

    pub fn stderr(mut self, line: impl Into<String>) -> Self {
        self.lines.push((LogSource::Stderr, line.into()));
        self
    }

    /// Writes `bytes` at `container_path` (through the mounts) on start.
    pub fn writes(mut self, container_path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.push((container_path.into(), bytes.into()));
        self
    }

    /// Runs this long (virtual time) before it exits.
    pub fn runs_for(mut self, d: Duration) -> Self {
        self.runs_for = d;
        self
    }

    /// Runs until stopped or killed.
    pub fn hangs(mut self) -> Self {
        self.hangs = true;
        self
    }

    /// Ignores SIGTERM: a stop kills it after the grace (exit 137).
    pub fn ignores_sigterm(mut self) -> Self {
        self.sigterm_exit = None;
        self
    }

    /// On host `hostname` (`algo-2`) of a distributed job, runs `script`.
    pub fn on_host(mut self, hostname: &str, script: Script) -> Self {
        self.hosts.push((hostname.to_owned(), script));
        self
    }

    /// What the container with `hostname` runs.
    pub(crate) fn for_host(self, hostname: Option<&str>) -> Self {
        match self
            .hosts
            .iter()
            .find(|(h, _)| Some(h.as_str()) == hostname)
        {
            Some((_, script)) => script.clone(),
            None => self,
        }
    }

    /// Runs `hook` when the container starts (see [`StartHook`]).
    pub fn on_start(mut self, hook: impl Fn(&Started<'_>) + Send + Sync + 'static) -> Self {
        self.on_start = Some(Arc::new(hook));
        self
    }
}

/// How `GET /ping` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ping {
    /// 200 (after `ready_after`).
    Ok,
    /// This status, always.
    Status(u16),
    /// Never answers.
    Hang,
}

/// An answer to `POST /invocations`.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
    /// Virtual time before the answer.
    pub delay: Duration,
}

impl Reply {
    pub fn ok(body: impl Into<Bytes>) -> Self {
        Self {
            status: 200,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn status(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn after(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

/// Answers one invocation body.
pub type Invoke = Arc<dyn Fn(&Bytes) -> Reply + Send + Sync>;

/// An inference server (docs/contracts.md §4.2).
#[derive(Clone)]
pub struct Serve {
    pub(crate) ping: Ping,
    pub(crate) ready_after: Duration,
    /// The container exits with this code after this long, answering no
    /// `/ping` with 200 meanwhile.
    pub(crate) dies_after: Option<(Duration, i64)>,
    pub(crate) invoke: Invoke,
    pub(crate) execution_parameters: Option<serde_json::Value>,
}

impl Serve {
    /// Ready at once; answers each invocation with its body upper-cased.
    pub fn upper() -> Self {
        Self::answering(|b: &Bytes| Reply::ok(b.to_ascii_uppercase()))
    }

    /// Ready at once; answers each invocation with `f`.
    pub fn answering(f: impl Fn(&Bytes) -> Reply + Send + Sync + 'static) -> Self {
        Self {
            ping: Ping::Ok,
            ready_after: Duration::ZERO,
            dies_after: None,
            invoke: Arc::new(f),
            execution_parameters: None,
        }
    }

    pub fn ping(mut self, ping: Ping) -> Self {
        self.ping = ping;
        self
    }

    /// `/ping` answers 503 until this long after the start.
    pub fn ready_after(mut self, d: Duration) -> Self {
        self.ready_after = d;
        self
    }

    /// Exits with `code` after `d` without ever being ready.
    pub fn dies_after(mut self, d: Duration, code: i64) -> Self {
        self.dies_after = Some((d, code));
        self.ping = Ping::Status(503);
        self
    }

    /// Offers `/execution-parameters`.
    pub fn execution_parameters(mut self, v: serde_json::Value) -> Self {
        self.execution_parameters = Some(v);
        self
    }
}
