//! The container-engine conformance suite. It runs real containers, so an
//! adapter runs it against a real engine (Podman in CI) with a small test
//! image: `FROM scratch`, a static busybox with its applets installed in
//! `/bin`, `ENTRYPOINT ["/bin/busybox"]`, `CMD ["true"]`.
//!
//! Every container the suite makes carries a label unique to the run;
//! whatever happens, the suite removes them all and then checks that none
//! is left.

mod networks;

use crate::ports::engine::{
    BindMount, ContainerEngine, ContainerId, ContainerSpec, EngineError, ExitStatus, Limits,
    LogLine, LogSource, LABEL_ACCOUNT, LABEL_JOB_ARN,
};
use futures::{FutureExt, StreamExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Label marking the suite's containers, valued with the run id.
pub const SUITE_LABEL: &str = "slipway.test-run";

/// No single step may take longer than this; a hang fails the test.
const STEP: Duration = Duration::from_secs(60);

/// What the suite needs from the adapter's test.
#[derive(Debug, Clone)]
pub struct EngineSuiteConfig {
    /// The busybox test image described in the module doc.
    pub image: String,
    /// A host directory the engine can bind-mount (the engine runs on this
    /// machine). The suite writes below it; the caller deletes it.
    pub scratch: PathBuf,
    /// An internal network the suite may create and leave behind (creating
    /// it is idempotent, so reruns reuse it).
    pub internal_network: String,
}

struct Suite<'a> {
    engine: &'a dyn ContainerEngine,
    cfg: &'a EngineSuiteConfig,
    run: String,
}

/// Runs every check, then removes the run's containers and asserts that
/// none is left, even when a check failed (its panic is re-raised after).
pub async fn run(engine: &dyn ContainerEngine, cfg: &EngineSuiteConfig) {
    let run = format!("{:08x}", rand::random::<u32>());
    let suite = Suite { engine, cfg, run };
    let outcome = std::panic::AssertUnwindSafe(suite.checks())
        .catch_unwind()
        .await;
    let leftovers = engine
        .list_by_label(SUITE_LABEL, Some(&suite.run))
        .await
        .unwrap();
    for c in &leftovers {
        engine.remove(&c.id, true).await.unwrap();
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    assert!(
        leftovers.is_empty(),
        "checks left containers behind: {leftovers:?}"
    );
    let after = engine
        .list_by_label(SUITE_LABEL, Some(&suite.run))
        .await
        .unwrap();
    assert!(after.is_empty(), "containers survived removal: {after:?}");
}

async fn step<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what} took longer than {STEP:?}"),
    }
}

impl Suite<'_> {
    /// The checks are independent and mostly wait on containers, so they
    /// run side by side (a missing-image pull alone takes ~3 s on Podman).
    async fn checks(&self) {
        futures::join!(
            timed("images", self.images()),
            timed("contract run", self.contract_run()),
            timed("logs", self.live_logs()),
            timed("stop and kill", self.stop_and_kill()),
            timed("memory limit", self.memory_limit()),
            timed("no network", self.no_network()),
            timed("internal network", self.internal_network()),
            timed("aliases on a network of its own", self.cluster_network()),
            timed(
                "an internal network is closed to the host",
                self.internal_network_closed_to_host()
            ),
            timed("reach a port without a network", self.reach_port()),
        );
    }

    /// A spec running `script` under `sh -c`, labelled as a job's container.
    fn spec(&self, suffix: &str, script: &str) -> ContainerSpec {
        let mut spec = ContainerSpec::new(
            format!("slipway-suite-{}-{suffix}", self.run),
            self.cfg.image.clone(),
        );
        spec.entrypoint = Some(vec![
            "/bin/sh".into(),
            "-c".into(),
            script.into(),
            "sh".into(),
        ]);
        spec.labels.insert(SUITE_LABEL.into(), self.run.clone());
        spec.labels.insert(
            LABEL_JOB_ARN.into(),
            format!(
                "arn:aws:sagemaker:us-east-1:000000000000:training-job/suite-{}-{suffix}",
                self.run
            ),
        );
        spec.labels
            .insert(LABEL_ACCOUNT.into(), "000000000000".into());
        spec
    }

    /// A fresh host directory mounted read-write at `/out`.
    fn out_dir(&self, spec: &mut ContainerSpec, name: &str) -> PathBuf {
        let dir = self.cfg.scratch.join(format!("{}-{name}", self.run));
        std::fs::create_dir_all(&dir).unwrap();
        spec.mounts.push(BindMount {
            host_path: dir.clone(),
            container_path: "/out".into(),
            read_only: false,
        });
        dir
    }

    async fn start(&self, spec: &ContainerSpec) -> ContainerId {
        let id = step("create", self.engine.create(spec)).await.unwrap();
        step("start", self.engine.start(&id)).await.unwrap();
        id
    }

    async fn run_to_end(&self, spec: &ContainerSpec) -> (ContainerId, ExitStatus) {
        let id = self.start(spec).await;
        let status = step("wait", self.engine.wait(&id)).await.unwrap();
        (id, status)
    }

    async fn logs_of(&self, id: &ContainerId) -> Vec<LogLine> {
        step("logs", self.engine.logs(id, false).collect::<Vec<_>>())
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect()
    }

    async fn lines_of(&self, id: &ContainerId) -> Vec<String> {
        self.logs_of(id).await.into_iter().map(|l| l.line).collect()
    }

    async fn images(&self) {
        let missing = "localhost/slipway-suite-no-such-image:never";
        match step("pull", self.engine.ensure_image(missing, None)).await {
            Err(EngineError::ImageNotFound { image, detail }) => {
                assert_eq!(image, missing);
                assert!(!detail.is_empty(), "the engine's reason is kept");
            }
            other => panic!("missing image: {other:?}"),
        }
        let info = step("image", self.engine.ensure_image(&self.cfg.image, None))
            .await
            .unwrap();
        assert!(!info.id.is_empty());
        let mut spec = self.spec("noimage", "true");
        spec.image = missing.into();
        match self.engine.create(&spec).await {
            Err(EngineError::ImageNotFound { .. }) => {}
            other => panic!("create with a missing image: {other:?}"),
        }
    }

    /// Entrypoint, args, env, hostname, mounts, labels, root without extra
    /// privileges, and the exit code.
    async fn contract_run(&self) {
        let script = r#"set -e
for a in "$@"; do echo "$a"; done > /out/args
env > /out/env
hostname > /out/hostname
id -u > /out/uid
grep -E '^(NoNewPrivs|CapEff)' /proc/self/status > /out/status
cat /in/input.txt > /out/input-copy
if echo x > /in/written 2>/dev/null; then echo yes > /out/ro-writable; fi
exit 3"#;
        let mut spec = self.spec("contract", script);
        spec.args = vec!["alpha".into(), "beta gamma".into()];
        spec.env.insert("SUITE_VAR".into(), "v=1 two".into());
        spec.hostname = Some("algo-1".into());
        let out = self.out_dir(&mut spec, "contract");
        let input = self.cfg.scratch.join(format!("{}-input", self.run));
        std::fs::create_dir_all(&input).unwrap();
        std::fs::write(input.join("input.txt"), "hello\n").unwrap();
        spec.mounts.push(BindMount {
            host_path: input.clone(),
            container_path: "/in".into(),
            read_only: true,
        });
        let (id, status) = self.run_to_end(&spec).await;
        let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
        assert_eq!(
            status,
            ExitStatus {
                code: 3,
                oom_killed: false
            },
            "{}",
            read("status")
        );
        assert_eq!(read("args"), "alpha\nbeta gamma\n");
        assert!(read("env").lines().any(|l| l == "SUITE_VAR=v=1 two"));
        assert_eq!(read("hostname"), "algo-1\n");
        assert_eq!(read("uid"), "0\n", "containers run as root");
        assert_eq!(read("input-copy"), "hello\n");
        assert!(!out.join("ro-writable").exists(), "read-only mount written");
        assert!(!input.join("written").exists());
        let status_file = read("status");
        assert!(status_file.contains("NoNewPrivs:\t1"), "{status_file}");
        let cap_eff = status_file
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .map(|h| u64::from_str_radix(h.trim(), 16).unwrap())
            .unwrap();
        for (bit, cap) in [(13, "NET_RAW"), (21, "SYS_ADMIN"), (27, "MKNOD")] {
            assert_eq!(cap_eff & (1 << bit), 0, "{cap} must not be granted");
        }

        let state = self.engine.inspect(&id).await.unwrap();
        assert!(!state.running);
        assert_eq!(state.exit_code, Some(3));
        assert_eq!(state.labels.get(SUITE_LABEL), Some(&self.run));
        assert_eq!(state.labels.get(LABEL_ACCOUNT).unwrap(), "000000000000");
        assert!(state.labels.contains_key(LABEL_JOB_ARN));
        let (started, finished) = (state.started_at.unwrap(), state.finished_at.unwrap());
        // Podman stamps StartedAt after runc starts the process, so a
        // container that exits at once can show FinishedAt a few ms earlier.
        assert!(
            started <= finished + time::Duration::seconds(1),
            "{started} .. {finished}"
        );

        match self.engine.create(&spec).await {
            Err(EngineError::NameInUse(name)) => assert_eq!(name, spec.name),
            other => panic!("second create with the same name: {other:?}"),
        }
        self.engine.remove(&id, false).await.unwrap();

        // No entrypoint override: the image's ENTRYPOINT stays, args replace CMD.
        let mut spec = self.spec("keep-entrypoint", "");
        spec.entrypoint = None;
        spec.args = vec!["sh".into(), "-c".into(), "exit 4".into()];
        let (id, status) = self.run_to_end(&spec).await;
        assert_eq!(status.code, 4);
        self.engine.remove(&id, false).await.unwrap();
    }

    /// Followed logs arrive while the container runs; both streams, lines
    /// cut on newlines, a last partial line kept; the same after exit.
    async fn live_logs(&self) {
        let script = r#"echo first; echo err-first >&2
while [ ! -e /out/go ]; do sleep 0.1; done
echo second; echo; printf 'no-newline'"#;
        let mut spec = self.spec("logs", script);
        let out = self.out_dir(&mut spec, "logs");
        let t0 = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let id = self.start(&spec).await;
        let mut follow = self.engine.logs(&id, true);
        let mut seen = Vec::new();
        while seen.len() < 2 {
            let line = step("live log line", follow.next()).await;
            seen.push(line.expect("stream ended early").unwrap());
        }
        assert!(
            self.engine.inspect(&id).await.unwrap().running,
            "lines must arrive while the container runs"
        );
        std::fs::write(out.join("go"), "").unwrap();
        while let Some(line) = step("log line", follow.next()).await {
            seen.push(line.unwrap());
        }
        let status = step("wait", self.engine.wait(&id)).await.unwrap();
        assert_eq!(status.code, 0);
        let of = |lines: &[LogLine], s: LogSource| -> Vec<String> {
            lines
                .iter()
                .filter(|l| l.stream == s)
                .map(|l| l.line.clone())
                .collect()
        };
        let stdout = ["first", "second", "", "no-newline"].map(String::from);
        for lines in [seen.clone(), self.logs_of(&id).await] {
            assert_eq!(of(&lines, LogSource::Stdout), stdout);
            assert_eq!(of(&lines, LogSource::Stderr), ["err-first"]);
            let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
            for l in &lines {
                // Podman's timestamps have whole seconds.
                assert!(l.timestamp_ms >= t0 - 2000 && l.timestamp_ms <= now + 2000);
            }
        }
        self.engine.remove(&id, false).await.unwrap();
    }

    /// SIGTERM then SIGKILL after the grace; a process handling SIGTERM
    /// ends at once; kill; both are no-ops on an exited container.
    async fn stop_and_kill(&self) {
        // PID 1 ignores signals it has no handler for, so `trap ''` and a
        // plain `sleep` as PID 1 behave alike: killed after the grace.
        let mut spec = self.spec("stubborn", "trap '' TERM; touch /out/ready; sleep 100");
        let out = self.out_dir(&mut spec, "stubborn");
        let stubborn = self.start(&spec).await;
        wait_for_file(&out.join("ready")).await;
        let grace = Duration::from_secs(2);
        let t = Instant::now();
        step("stop", self.engine.stop(&stubborn, grace))
            .await
            .unwrap();
        let took = t.elapsed();
        assert!(
            took >= grace - Duration::from_millis(100) && took < grace + Duration::from_secs(8),
            "stubborn container stopped after {took:?}, grace {grace:?}"
        );
        let status = step("wait", self.engine.wait(&stubborn)).await.unwrap();
        assert_eq!(status.code, 137, "SIGKILL after the grace");
        eprintln!("engine suite: stop with {grace:?} grace took {took:?}");
        self.engine
            .stop(&stubborn, Duration::from_secs(1))
            .await
            .unwrap();

        let script = "trap 'exit 0' TERM; touch /out/ready; sleep 100 & wait $!";
        let mut spec = self.spec("polite", script);
        let out = self.out_dir(&mut spec, "polite");
        let polite = self.start(&spec).await;
        wait_for_file(&out.join("ready")).await;
        let t = Instant::now();
        step("stop", self.engine.stop(&polite, Duration::from_secs(20)))
            .await
            .unwrap();
        let took = t.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "SIGTERM handled, yet {took:?}"
        );
        assert_eq!(self.engine.wait(&polite).await.unwrap().code, 0);

        let killed = self.start(&self.spec("killed", "sleep 100")).await;
        self.engine.kill(&killed).await.unwrap();
        assert_eq!(self.engine.wait(&killed).await.unwrap().code, 137);
        self.engine.kill(&killed).await.unwrap();
        for id in [stubborn, polite, killed] {
            self.engine.remove(&id, false).await.unwrap();
        }
    }

    /// Allocating past the memory limit kills the container (exit 137).
    async fn memory_limit(&self) {
        let script = "x=$(head -c 200000000 /dev/zero | tr '\\0' x); echo survived ${#x}";
        let mut spec = self.spec("memory", script);
        spec.limits = Limits {
            nano_cpus: Some(1_000_000_000),
            memory_bytes: Some(32 * 1024 * 1024),
        };
        let (id, status) = self.run_to_end(&spec).await;
        let logs = self.logs_of(&id).await;
        assert_eq!(status.code, 137, "{status:?}, logs {logs:?}");
        eprintln!("engine suite: memory limit exit {status:?} (Podman reports oom_killed=false)");
        self.engine.remove(&id, true).await.unwrap();
    }
}

async fn timed(name: &str, check: impl std::future::Future<Output = ()>) {
    let started = Instant::now();
    check.await;
    eprintln!("engine suite: {name} passed in {:?}", started.elapsed());
}

async fn wait_for_file(path: &Path) {
    step("marker file", async {
        while !path.exists() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}
