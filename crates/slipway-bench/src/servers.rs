//! Starting, watching and stopping the two server processes.
//!
//! Each server's stderr (and moto's stdout) goes to a log file in the run's
//! temp dir, so a chatty server can never block on a full pipe; the tail of
//! that file is shown when a server fails to start.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::client::{Client, Target};

/// How long a server may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A running server process; killed if dropped without [`Server::stop`].
pub struct Server {
    pub target: Target,
    child: Child,
    pid: u32,
    log: PathBuf,
}

impl Server {
    /// Starts `slipway serve` on an ephemeral loopback port with a fresh data
    /// dir and reads its endpoint and keys from the ready line it prints.
    pub async fn start_slipway(bin: &Path, dir: &Path) -> anyhow::Result<Self> {
        let data_dir = dir.join("slipway-data");
        let log = dir.join("slipway.log");
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(&data_dir);
        // The benchmark owns the configuration: nothing from the caller's
        // environment (a config file, a fixed account) leaks in.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("SLIPWAY_") {
                cmd.env_remove(key);
            }
        }
        // The workloads name a role of a fixed account (`role/bench`) that
        // moto accepts as is; Slipway is told to accept it the same way.
        cmd.env("SLIPWAY_ACCEPT_ANY_ROLE_ARN", "true");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file(&log)?)
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let pid = child
            .id()
            .ok_or_else(|| anyhow!("slipway exited at once"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout pipe to slipway"))?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(READY_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if line.contains("AWS_ENDPOINT_URL=") {
                    return Ok(Some(line));
                }
            }
            Ok::<_, std::io::Error>(None)
        })
        .await;
        let line = match line {
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => bail!(
                "slipway exited before printing its endpoint\n{}",
                log_tail(&log)
            ),
            Ok(Err(e)) => bail!("reading slipway's stdout: {e}"),
            Err(_) => bail!(
                "slipway printed no endpoint within {READY_TIMEOUT:?}\n{}",
                log_tail(&log)
            ),
        };
        // Keep draining stdout so a later print never meets a closed pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let target = parse_ready_line(&line)?;
        let mut server = Self {
            target,
            child,
            pid,
            log,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    /// Starts moto's server on a free loopback port. moto accepts any keys
    /// (it does not verify signatures); requests are signed all the same.
    pub async fn start_moto(cmdline: &[String], dir: &Path) -> anyhow::Result<Self> {
        let (program, args) = cmdline
            .split_first()
            .ok_or_else(|| anyhow!("the moto command is empty"))?;
        let port = free_port()?;
        let log = dir.join("moto.log");
        let out = log_file(&log)?;
        let err = out.try_clone().context("cannot share moto's log file")?;
        let child = Command::new(program)
            .args(args)
            .arg("-p")
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start moto's server with `{}` (install it with scripts/setup.sh, \
                     or pass --moto-cmd / set SLIPWAY_VENV)",
                    cmdline.join(" ")
                )
            })?;
        let pid = child.id().ok_or_else(|| anyhow!("moto exited at once"))?;
        let mut server = Self {
            target: Target {
                name: "moto",
                endpoint: format!("http://127.0.0.1:{port}"),
                access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                region: "us-east-1".into(),
            },
            child,
            pid,
            log,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    /// Polls with a real signed call until it answers 200, so "ready" means
    /// ready for the workload, not just listening.
    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = Client::new(&self.target)?;
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut last = String::new();
        while Instant::now() < deadline {
            match client
                .call("ListModelPackages", br#"{"MaxResults":1}"#)
                .await
            {
                Ok(reply) if reply.status == 200 => return Ok(()),
                Ok(reply) => {
                    last = format!(
                        "HTTP {}: {}",
                        reply.status,
                        String::from_utf8_lossy(&reply.body)
                    )
                }
                Err(e) => last = format!("{e:#}"),
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                last = format!("exited: {status}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "{} did not become ready ({last})\n{}",
            self.target.name,
            log_tail(&self.log)
        )
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Peak resident set size so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .with_context(|| format!("reading /proc/{}/status", self.pid))?;
        parse_vm_hwm(&status).ok_or_else(|| anyhow!("no VmHWM in /proc/{}/status", self.pid))
    }

    /// Asks the server to stop (SIGTERM), then kills it if it lingers.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        // `kill(1)` rather than libc: the workspace forbids unsafe code.
        let asked = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .await
            .map(|s| s.success())
            .unwrap_or(false);
        if asked
            && tokio::time::timeout(Duration::from_secs(5), self.child.wait())
                .await
                .is_ok()
        {
            return Ok(());
        }
        self.child
            .kill()
            .await
            .with_context(|| format!("cannot kill {}", self.target.name))
    }
}

/// Reads `export AWS_ENDPOINT_URL=… AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=…
/// AWS_DEFAULT_REGION=…`.
fn parse_ready_line(line: &str) -> anyhow::Result<Target> {
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no {key} in slipway's ready line: {line}"))
    };
    Ok(Target {
        name: "slipway",
        endpoint: field("AWS_ENDPOINT_URL")?.trim_end_matches('/').to_owned(),
        access_key_id: field("AWS_ACCESS_KEY_ID")?,
        secret_access_key: field("AWS_SECRET_ACCESS_KEY")?,
        region: field("AWS_DEFAULT_REGION")?,
    })
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// CPU time (user + system, all threads) of a process, from `/proc/PID/stat`.
pub fn cpu_time(pid: Option<u32>) -> anyhow::Result<Duration> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_cpu_ticks(&stat)
        .map(|ticks| Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second()))
        .ok_or_else(|| anyhow!("cannot parse {path}"))
}

/// utime + stime: fields 14 and 15, counted after the `(comm)` field, which
/// may itself contain spaces.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `USER_HZ`, asked of `getconf` once (no libc: unsafe code is forbidden);
/// 100 on every Linux we know of.
fn clock_ticks_per_second() -> f64 {
    static HZ: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *HZ.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|hz| *hz > 0.0)
            .unwrap_or(100.0)
    })
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

fn log_file(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))
}

/// The last lines of a server's log, for error messages.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    format!("--- last lines of {} ---\n{tail}", path.display())
}

/// Runs `podman ARGS…` and returns its trimmed stdout, failing with its stderr.
pub async fn podman(args: &[&str]) -> anyhow::Result<String> {
    let out = tokio::process::Command::new("podman")
        .args(args)
        .output()
        .await
        .context("podman")?;
    if !out.status.success() {
        bail!(
            "podman {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Lets the container engine finish cleaning up after the previous run
/// (conmon exit, `--rm` removal, storage) so that each measured run starts
/// on an idle engine, whichever side ran before it.
pub async fn settle() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_ready_line() {
        let t = parse_ready_line(
            "export AWS_ENDPOINT_URL=http://127.0.0.1:4242 AWS_ACCESS_KEY_ID=AKIA1 \
             AWS_SECRET_ACCESS_KEY=s/e+c AWS_DEFAULT_REGION=eu-west-1",
        )
        .unwrap();
        assert_eq!(t.endpoint, "http://127.0.0.1:4242");
        assert_eq!(t.access_key_id, "AKIA1");
        assert_eq!(t.secret_access_key, "s/e+c");
        assert_eq!(t.region, "eu-west-1");
        assert!(parse_ready_line("export AWS_ENDPOINT_URL=http://x").is_err());
    }

    #[test]
    fn reads_vm_hwm() {
        let status = "Name:\tslipway\nVmPeak:\t  9000 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(12345));
        assert_eq!(parse_vm_hwm("Name: x\n"), None);
    }

    #[test]
    fn reads_cpu_ticks_past_a_comm_with_spaces() {
        let stat = "42 (a b) S 1 42 42 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 5 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(10));
    }

    #[test]
    fn own_cpu_time_is_readable() {
        assert!(cpu_time(None).is_ok());
    }
}
