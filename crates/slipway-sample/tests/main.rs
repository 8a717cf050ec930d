//! Integration tests: `train` and `serve` against temporary `/opt/ml` trees,
//! no container needed (the podman checks live in samples/smoke-test-image.sh).

// Helpers outside #[test] fns panic on purpose: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

mod dialout;
mod serve;
mod serve_modes;
mod train;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The built binary, run with its ML root at `root`.
pub fn sample(root: &Path, command: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway-sample"));
    cmd.arg(command)
        .env("SLIPWAY_SAMPLE_ML_ROOT", root)
        .env_remove("SAMPLE_MODE")
        .env_remove("SAMPLE_DIAL_URL")
        .env_remove("SAGEMAKER_BIND_TO_PORT")
        .env_remove("SAGEMAKER_MAX_PAYLOAD_IN_MB");
    cmd
}

/// Spawns `cmd` and forwards its stdout lines to the returned receiver.
pub fn spawn_with_lines(cmd: &mut Command) -> (Child, mpsc::Receiver<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Waits (up to 20 s) for a stdout line containing `needle`.
pub fn wait_for_line(rx: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("no line containing {needle:?}: {e}"));
        if line.contains(needle) {
            return line;
        }
    }
}

/// Sends `signal` (e.g. "TERM") to `child`.
pub fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits up to `limit` for `child` to exit and returns its exit code.
pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}
