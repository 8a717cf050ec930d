//! `[jobs]`: how training and transform jobs run. Each setting also has a
//! `SLIPWAY_*` variable (which wins over the file).

use serde::Deserialize;
use std::time::Duration;

/// The `[jobs]` table of the config file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsFileConfig {
    /// `false` runs no jobs at all (a control-plane-only server: resources
    /// with validation profiles then stay Pending). Default true.
    pub enabled: Option<bool>,
    /// Docker Engine API address (`unix:///run/podman/podman.sock`);
    /// default `DOCKER_HOST`, then the usual sockets.
    pub docker_host: Option<String>,
    /// SIGTERM → SIGKILL grace when a job is stopped (default 120, as AWS).
    pub stop_grace_seconds: Option<u64>,
    /// Cap on any container's memory, below the instance type's figure.
    pub memory_cap_mb: Option<u64>,
    /// Keep each job's work directory after it ends (debugging).
    pub keep_work_dirs: Option<bool>,
    /// Seconds an inference container may take to answer GET /ping (default 240).
    pub ready_timeout_seconds: Option<u64>,
}

/// Resolved job settings.
#[derive(Debug, Clone, Default)]
pub struct JobsConfig {
    pub enabled: bool,
    pub docker_host: Option<String>,
    pub stop_grace: Option<Duration>,
    pub memory_cap_bytes: Option<i64>,
    pub keep_work_dirs: bool,
    pub ready_timeout: Option<Duration>,
}

impl JobsConfig {
    pub fn resolve(
        file: JobsFileConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let num = |name: &str| -> anyhow::Result<Option<u64>> {
            env(name)
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| anyhow::anyhow!("{name} must be a whole number, got {v:?}"))
                })
                .transpose()
        };
        let grace = num("SLIPWAY_JOB_STOP_GRACE_SECONDS")?.or(file.stop_grace_seconds);
        let cap = num("SLIPWAY_JOB_MEMORY_CAP_MB")?.or(file.memory_cap_mb);
        let ready = num("SLIPWAY_JOB_READY_TIMEOUT_SECONDS")?.or(file.ready_timeout_seconds);
        if cap == Some(0) {
            anyhow::bail!("the job memory cap must be at least 1 MB");
        }
        let enabled = match env("SLIPWAY_JOBS").as_deref() {
            Some("on" | "1" | "true") => true,
            Some("off" | "0" | "false") => false,
            Some(v) => anyhow::bail!("SLIPWAY_JOBS must be on or off, got {v:?}"),
            None => file.enabled.unwrap_or(true),
        };
        let keep = match env("SLIPWAY_KEEP_JOB_DIRS").as_deref() {
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(v) => anyhow::bail!("SLIPWAY_KEEP_JOB_DIRS must be true or false, got {v:?}"),
            None => file.keep_work_dirs.unwrap_or(false),
        };
        Ok(Self {
            enabled,
            docker_host: env("SLIPWAY_DOCKER_HOST").or(file.docker_host),
            stop_grace: grace.map(Duration::from_secs),
            memory_cap_bytes: cap.map(|mb| (mb as i64).saturating_mul(1024 * 1024)),
            keep_work_dirs: keep,
            ready_timeout: ready.map(Duration::from_secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_wins_and_bad_numbers_are_refused() {
        let file = JobsFileConfig {
            stop_grace_seconds: Some(30),
            memory_cap_mb: Some(100),
            ..Default::default()
        };
        let env = |k: &str| (k == "SLIPWAY_JOB_MEMORY_CAP_MB").then(|| "256".to_owned());
        let c = JobsConfig::resolve(file.clone(), env).unwrap();
        assert_eq!(c.memory_cap_bytes, Some(256 * 1024 * 1024));
        assert_eq!(c.stop_grace, Some(Duration::from_secs(30)));
        let bad = |k: &str| (k == "SLIPWAY_JOB_STOP_GRACE_SECONDS").then(|| "soon".to_owned());
        assert!(JobsConfig::resolve(file, bad).is_err());
    }
}
