//! A simulated container's process as its waiters and log readers see
//! it: the lines it printed, how it ended, and the files it found.

use super::script::{host_path, Script};
use futures::stream::{self, BoxStream, StreamExt};
use slipway_core::ports::engine::{ContainerSpec, EngineError, ExitStatus, LogLine, LogSource};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// What one container's process shares with its waiters and log readers.
pub(crate) struct Proc {
    pub(crate) state: Mutex<ProcState>,
    pub(crate) changed: watch::Sender<u64>,
}

#[derive(Default)]
pub(crate) struct ProcState {
    pub(crate) lines: Vec<LogLine>,
    pub(crate) exit: Option<ExitStatus>,
    pub(crate) removed: bool,
}

impl Proc {
    pub(crate) fn lock(&self) -> MutexGuard<'_, ProcState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn bump(&self) {
        self.changed.send_modify(|v| *v += 1);
    }
}

/// Lines of `proc`: all so far (then, with `follow`, live until it exits),
/// or the last `from_end` of each of stdout and stderr.
pub(crate) fn lines(
    proc: Arc<Proc>,
    follow: bool,
    from_end: Option<usize>,
) -> BoxStream<'static, Result<LogLine, EngineError>> {
    let rx = proc.changed.subscribe();
    let start = match from_end {
        Some(n) => {
            // The last `n` of each of stdout and stderr.
            let p = proc.lock();
            let mut keep = Vec::new();
            for s in [LogSource::Stdout, LogSource::Stderr] {
                let of: Vec<_> = p.lines.iter().filter(|l| l.stream == s).cloned().collect();
                keep.extend(of[of.len().saturating_sub(n)..].iter().cloned());
            }
            return stream::iter(keep.into_iter().map(Ok)).boxed();
        }
        None => 0,
    };
    stream::unfold((proc, start, rx), move |(proc, i, mut rx)| async move {
        loop {
            {
                let p = proc.lock();
                if let Some(l) = p.lines.get(i) {
                    let l = l.clone();
                    drop(p);
                    return Some((Ok(l), (proc, i + 1, rx)));
                }
                if !follow || p.exit.is_some() || p.removed {
                    return None;
                }
            }
            if rx.changed().await.is_err() {
                return None;
            }
        }
    })
    .boxed()
}

/// Writes the script's files and snapshots what the mounts hold.
pub(crate) fn lay_files(spec: &ContainerSpec, script: &Script) -> BTreeMap<String, Vec<u8>> {
    for (path, bytes) in &script.files {
        if let Some(host) = host_path(spec, path) {
            if let Some(parent) = host.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = std::fs::write(&host, bytes);
        }
    }
    let mut seen = BTreeMap::new();
    for m in &spec.mounts {
        snapshot(&m.host_path, &m.container_path, &mut seen);
    }
    seen
}

/// Small files under `dir`, keyed by their path inside the container.
fn snapshot(dir: &std::path::Path, at: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = format!("{at}/{}", e.file_name().to_string_lossy());
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            snapshot(&e.path(), &path, out);
        } else if ft.is_file() {
            if let Ok(bytes) = std::fs::read(e.path()) {
                if bytes.len() <= 1 << 20 {
                    out.insert(path, bytes);
                }
            }
        }
    }
}
