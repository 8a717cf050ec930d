//! The report: a table for people, `--json` for machines, and the control-plane goal's (docs/benchmarks.md "Control plane")
//! goal (≥ 20× moto's throughput, p99 < 5 ms) judged per workload.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{json, Value};
use time::macros::format_description;
use time::OffsetDateTime;

use crate::workload::{RunResult, Workload};

/// Slipway must serve at least this many times moto's throughput.
pub const GOAL_RATIO: f64 = 20.0;
/// Slipway's p99 latency must stay under this many milliseconds.
pub const GOAL_P99_MS: f64 = 5.0;

/// What the figures were measured on.
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub kernel: String,
    /// `/proc/loadavg`'s 1-minute figure when the run started: anything
    /// else busy on the machine skews the figures.
    pub load_at_start: Option<f64>,
}

impl Machine {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, name)| name.trim().to_owned())
            .unwrap_or_else(|| "unknown CPU".to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| format!("Linux {}", s.trim()))
            .unwrap_or_else(|_| std::env::consts::OS.to_owned());
        let load_at_start = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok());
        Self {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            kernel,
            load_at_start,
        }
    }
}

/// One workload's verdict against the goal.
pub struct Verdict {
    pub workload: Workload,
    /// Slipway's throughput over moto's; `None` if either is missing.
    pub ratio: Option<f64>,
    pub slipway_p99_ms: Option<f64>,
}

impl Verdict {
    pub fn ratio_pass(&self) -> bool {
        self.ratio.is_some_and(|r| r >= GOAL_RATIO)
    }
    pub fn p99_pass(&self) -> bool {
        self.slipway_p99_ms.is_some_and(|p| p < GOAL_P99_MS)
    }
    pub fn pass(&self) -> bool {
        self.ratio_pass() && self.p99_pass()
    }
}

/// Everything one `control-plane` run found.
pub struct Report {
    pub machine: Machine,
    pub date: OffsetDateTime,
    pub clients: u32,
    pub seconds: u64,
    pub warmup: u64,
    pub packages: u32,
    pub slipway_bin: PathBuf,
    pub moto_cmd: String,
    pub runs: Vec<RunResult>,
    /// Peak RSS (`VmHWM`) per server, KiB.
    pub peak_rss_kib: Vec<(&'static str, u64)>,
}

impl Report {
    fn run(&self, target: &str, workload: Workload) -> Option<&RunResult> {
        self.runs
            .iter()
            .find(|r| r.target == target && r.workload == workload)
    }

    pub fn verdicts(&self) -> Vec<Verdict> {
        Workload::ALL
            .iter()
            .map(|&w| {
                let slipway = self.run("slipway", w);
                let moto = self.run("moto", w);
                let ratio = match (slipway, moto) {
                    (Some(s), Some(m)) if m.throughput() > 0.0 => {
                        Some(s.throughput() / m.throughput())
                    }
                    _ => None,
                };
                Verdict {
                    workload: w,
                    ratio,
                    slipway_p99_ms: slipway.and_then(|s| s.latency).map(|l| l.p99_ms),
                }
            })
            .collect()
    }

    pub fn errors(&self) -> u64 {
        self.runs.iter().map(|r| r.errors).sum()
    }

    fn date(&self) -> String {
        let utc = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        self.date
            .to_offset(time::UtcOffset::UTC)
            .format(utc)
            .unwrap_or_else(|_| self.date.to_string())
    }

    pub fn to_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\nControl plane: {} clients, {} s measured after {} s warm-up per run, {} model packages",
            self.clients, self.seconds, self.warmup, self.packages
        );
        let _ = writeln!(
            s,
            "machine: {} CPU cores ({}), {}; client and servers share these cores",
            self.machine.cores, self.machine.cpu, self.machine.kernel
        );
        if let Some(load) = self.machine.load_at_start {
            let _ = writeln!(s, "load average (1 min) at start: {load:.2}");
        }
        let _ = writeln!(s, "date: {}", self.date());
        let _ = writeln!(
            s,
            "slipway: {}\nmoto: {}\n",
            self.slipway_bin.display(),
            self.moto_cmd
        );
        let _ = writeln!(
            s,
            "{:<8} {:<21} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6}",
            "target",
            "workload",
            "requests",
            "req/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "srv CPU",
            "cli CPU",
            "B/answ",
            "errors"
        );
        for r in &self.runs {
            let (p50, p99, max) = match r.latency {
                Some(l) => (ms(l.p50_ms), ms(l.p99_ms), ms(l.max_ms)),
                None => ("-".into(), "-".into(), "-".into()),
            };
            let secs = r.elapsed.as_secs_f64().max(f64::EPSILON);
            let _ = writeln!(
                s,
                "{:<8} {:<21} {:>9} {:>9.0} {:>7} {:>7} {:>7} {:>6.0}% {:>6.0}% {:>7.0} {:>6}",
                r.target,
                r.workload.operation(),
                r.requests,
                r.throughput(),
                p50,
                p99,
                max,
                r.server_cpu.as_secs_f64() / secs * 100.0,
                r.client_cpu.as_secs_f64() / secs * 100.0,
                r.mean_body_bytes,
                r.errors
            );
        }
        let rss: Vec<String> = self
            .peak_rss_kib
            .iter()
            .map(|(name, kib)| format!("{name} {:.1} MiB", *kib as f64 / 1024.0))
            .collect();
        let _ = writeln!(s, "\npeak RSS (VmHWM): {}", rss.join(", "));
        let _ = writeln!(
            s,
            "CPU columns: % of one core over the measured window (srv = the server process, cli = this program)"
        );
        let _ = writeln!(
            s,
            "\ngoal: Slipway ≥ {GOAL_RATIO}× moto's throughput and p99 < {GOAL_P99_MS} ms"
        );
        let verdicts = self.verdicts();
        for v in &verdicts {
            let ratio = v.ratio.map_or("-".into(), |r| format!("{r:.1}×"));
            let p99 = v.slipway_p99_ms.map_or("-".into(), ms);
            let _ = writeln!(
                s,
                "  {:<21} throughput {:>7} {}   p99 {:>6} ms {}   {}",
                v.workload.operation(),
                ratio,
                pass(v.ratio_pass()),
                p99,
                pass(v.p99_pass()),
                pass(v.pass())
            );
        }
        let _ = writeln!(s, "overall: {}", pass(verdicts.iter().all(Verdict::pass)));
        s
    }

    pub fn to_json(&self) -> anyhow::Result<String> {
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                json!({
                    "target": r.target,
                    "workload": r.workload.operation(),
                    "requests": r.requests,
                    "seconds": r.elapsed.as_secs_f64(),
                    "throughput_rps": r.throughput(),
                    "p50_ms": r.latency.map(|l| l.p50_ms),
                    "p99_ms": r.latency.map(|l| l.p99_ms),
                    "max_ms": r.latency.map(|l| l.max_ms),
                    "errors": r.errors,
                    "error_samples": r.error_samples,
                    "mean_answer_bytes": r.mean_body_bytes,
                    "server_cpu_seconds": r.server_cpu.as_secs_f64(),
                    "client_cpu_seconds": r.client_cpu.as_secs_f64(),
                })
            })
            .collect();
        let verdicts = self.verdicts();
        let goal: Vec<Value> = verdicts
            .iter()
            .map(|v| {
                json!({
                    "workload": v.workload.operation(),
                    "throughput_ratio": v.ratio,
                    "ratio_pass": v.ratio_pass(),
                    "slipway_p99_ms": v.slipway_p99_ms,
                    "p99_pass": v.p99_pass(),
                    "pass": v.pass(),
                })
            })
            .collect();
        let rss: serde_json::Map<String, Value> = self
            .peak_rss_kib
            .iter()
            .map(|(name, kib)| ((*name).to_owned(), json!(kib)))
            .collect();
        let doc = json!({
            "benchmark": "control-plane",
            "date": self.date(),
            "machine": {
                "cores": self.machine.cores,
                "cpu": self.machine.cpu,
                "kernel": self.machine.kernel,
                "load_at_start": self.machine.load_at_start,
                "note": "client and servers share these cores",
            },
            "settings": {
                "clients": self.clients,
                "seconds": self.seconds,
                "warmup_seconds": self.warmup,
                "packages": self.packages,
                "slipway_bin": self.slipway_bin.display().to_string(),
                "moto_cmd": self.moto_cmd,
            },
            "runs": runs,
            "peak_rss_kib": rss,
            "goal": {
                "min_throughput_ratio": GOAL_RATIO,
                "max_p99_ms": GOAL_P99_MS,
                "workloads": goal,
                "pass": verdicts.iter().all(Verdict::pass),
            },
            "errors": self.errors(),
        });
        Ok(serde_json::to_string_pretty(&doc)?)
    }
}

fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

fn pass(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::Latency;

    fn result(target: &'static str, workload: Workload, requests: u64, p99: f64) -> RunResult {
        RunResult {
            target,
            workload,
            requests,
            elapsed: Duration::from_secs(10),
            latency: Some(Latency {
                p50_ms: p99 / 2.0,
                p99_ms: p99,
                max_ms: p99 * 2.0,
            }),
            errors: 0,
            error_samples: vec![],
            mean_body_bytes: 500.0,
            server_cpu: Duration::from_secs(5),
            client_cpu: Duration::from_secs(5),
        }
    }

    fn report(runs: Vec<RunResult>) -> Report {
        Report {
            machine: Machine {
                cores: 2,
                cpu: "test".into(),
                kernel: "Linux".into(),
                load_at_start: Some(0.5),
            },
            date: OffsetDateTime::UNIX_EPOCH,
            clients: 8,
            seconds: 10,
            warmup: 1,
            packages: 200,
            slipway_bin: "slipway".into(),
            moto_cmd: "moto_server".into(),
            runs,
            peak_rss_kib: vec![("slipway", 20480), ("moto", 102400)],
        }
    }

    #[test]
    fn judges_each_workload() {
        let r = report(vec![
            result("slipway", Workload::Describe, 210_000, 1.0),
            result("moto", Workload::Describe, 10_000, 20.0),
            result("slipway", Workload::List, 100_000, 6.0),
            result("moto", Workload::List, 1_000, 50.0),
        ]);
        let v = r.verdicts();
        assert_eq!(v[0].ratio, Some(21.0));
        assert!(v[0].pass());
        assert!(v[1].ratio_pass());
        assert!(!v[1].p99_pass());
        let table = r.to_table();
        assert!(table.contains("overall: FAIL"));
        let json: Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
        assert_eq!(json["goal"]["pass"], false);
        assert_eq!(json["peak_rss_kib"]["moto"], 102400);
    }

    #[test]
    fn missing_moto_figures_fail_the_ratio() {
        let r = report(vec![result("slipway", Workload::Describe, 1, 1.0)]);
        assert!(!r.verdicts()[0].ratio_pass());
    }
}
