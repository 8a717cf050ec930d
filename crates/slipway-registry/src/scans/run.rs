//! Runs the operator's scanner command on an archive: no shell (the words
//! were split once, at start-up), `{archive}` replaced in every word,
//! stdin closed, stdout read up to a bound, and only the tail of stderr
//! kept for the failure description. The child is killed if the scan is
//! dropped (timeout, shutdown).

use std::path::Path;
use std::process::Stdio;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The last bytes of the scanner's stderr quoted in a failure.
const STDERR_TAIL: usize = 2048;

/// Reads `r` to its end, keeping at most `limit + 1` bytes (one more tells
/// an overflow apart from an exact fit).
async fn read_bounded<R: AsyncRead + Unpin>(mut r: R, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            return Ok(out);
        }
        let room = (limit + 1).saturating_sub(out.len());
        out.extend_from_slice(&buf[..n.min(room)]);
        if out.len() > limit {
            return Ok(out);
        }
    }
}

/// Reads `r` to its end, keeping only the last `keep` bytes.
async fn read_tail<R: AsyncRead + Unpin>(mut r: R, keep: usize) -> Vec<u8> {
    let mut tail = Vec::with_capacity(2 * keep);
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 2 * keep {
            tail.drain(..tail.len() - keep);
        }
    }
    if tail.len() > keep {
        tail.drain(..tail.len() - keep);
    }
    tail
}

/// A sentence quoting the scanner's stderr tail for a description.
pub(crate) fn quote_stderr(tail: &[u8]) -> String {
    let text = String::from_utf8_lossy(tail);
    let text = text.trim();
    if text.is_empty() {
        "The scanner wrote nothing to stderr.".to_owned()
    } else {
        format!("The scanner's stderr ends with: {text}")
    }
}

/// What a scanner that exited 0 printed.
pub(crate) struct ScannerOutput {
    pub stdout: Vec<u8>,
    /// The last bytes of its stderr.
    pub stderr_tail: Vec<u8>,
}

/// Runs `command` on `archive`; its output on success (exit 0 and at most
/// `max_output` bytes on stdout), else a description of the failure.
pub(crate) async fn run_scanner(
    command: &[String],
    archive: &Path,
    max_output: usize,
) -> Result<ScannerOutput, String> {
    let archive = archive.to_string_lossy();
    let words: Vec<String> = command
        .iter()
        .map(|w| w.replace("{archive}", &archive))
        .collect();
    let Some((program, args)) = words.split_first() else {
        return Err("The scanner command is empty.".into());
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("The scanner {program:?} could not be started: {e}"))?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err("The scanner's output could not be read.".into());
    };
    let err_task = tokio::spawn(read_tail(stderr, STDERR_TAIL));
    let out = read_bounded(stdout, max_output)
        .await
        .map_err(|e| format!("Reading the scanner's output failed: {e}"))?;
    if out.len() > max_output {
        let _ = child.kill().await;
        err_task.abort();
        return Err(format!(
            "The scanner's output exceeds the limit of {max_output} bytes."
        ));
    }
    let status = child
        .wait()
        .await
        .map_err(|e| format!("Waiting for the scanner failed: {e}"))?;
    // A grandchild may hold stderr open after the scanner exits: wait a
    // little for the tail, not for the grandchild.
    let tail = match tokio::time::timeout(std::time::Duration::from_secs(5), err_task).await {
        Ok(Ok(t)) => t,
        _ => Vec::new(),
    };
    if !status.success() {
        return Err(format!(
            "The scanner failed ({status}). {}",
            quote_stderr(&tail)
        ));
    }
    Ok(ScannerOutput {
        stdout: out,
        stderr_tail: tail,
    })
}
