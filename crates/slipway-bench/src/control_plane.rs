//! `slipway-bench control-plane`: the control-plane benchmark, end to end (docs/benchmarks.md "Control plane").
//!
//! Both servers run for the whole benchmark, but only one is driven at a
//! time; the idle one costs (almost) nothing. Client and servers share the
//! machine's cores, which the report says next to its figures.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::report::{Machine, Report};
use crate::servers::Server;
use crate::workload::{self, Workload};
use crate::ControlPlaneArgs;

/// Runs the benchmark and prints the report. `Ok(false)` when any request
/// failed: the figures are then printed but the run does not count.
pub async fn run(args: ControlPlaneArgs) -> anyhow::Result<bool> {
    let machine = Machine::detect();
    let started = time::OffsetDateTime::now_utc();
    let slipway_bin = slipway_bin(args.slipway_bin.as_deref())?;
    let moto_cmd = moto_cmd(args.moto_cmd.as_deref());
    let dir = tempfile::tempdir().context("cannot create a temp dir")?;
    let names = workload::package_names(args.packages);

    progress(&format!("starting slipway ({})", slipway_bin.display()));
    let slipway = Server::start_slipway(&slipway_bin, dir.path()).await?;
    progress(&format!("starting moto ({})", moto_cmd.join(" ")));
    let moto = Server::start_moto(&moto_cmd, dir.path()).await?;

    for server in [&slipway, &moto] {
        progress(&format!(
            "seeding {} with {} model packages",
            server.target.name, args.packages
        ));
        workload::seed(&server.target, &names, args.clients).await?;
    }

    let warmup = Duration::from_secs(args.warmup);
    let measure = Duration::from_secs(args.seconds);
    let mut runs = Vec::new();
    for w in Workload::ALL {
        for server in [&slipway, &moto] {
            progress(&format!(
                "{} {}: {} clients, {}s warm-up + {}s",
                server.target.name,
                w.operation(),
                args.clients,
                args.warmup,
                args.seconds
            ));
            let result = workload::run(
                &server.target,
                server.pid(),
                w,
                args.clients,
                warmup,
                measure,
                &names,
            )
            .await?;
            runs.push(result);
        }
    }

    let peak_rss_kib = vec![
        ("slipway", slipway.peak_rss_kib()?),
        ("moto", moto.peak_rss_kib()?),
    ];
    slipway.stop().await?;
    moto.stop().await?;

    let report = Report {
        machine,
        date: started,
        clients: args.clients,
        seconds: args.seconds,
        warmup: args.warmup,
        packages: args.packages,
        slipway_bin,
        moto_cmd: moto_cmd.join(" "),
        runs,
        peak_rss_kib,
    };
    if args.json {
        println!("{}", report.to_json()?);
    } else {
        print!("{}", report.to_table());
    }
    let errors = report.errors();
    if errors > 0 {
        eprintln!("\nFAILED: {errors} request(s) did not get a valid 200 answer; the figures do not count.");
        for run in &report.runs {
            for sample in &run.error_samples {
                eprintln!("  {} {}: {sample}", run.target, run.workload.operation());
            }
        }
        return Ok(false);
    }
    Ok(true)
}

fn progress(msg: &str) {
    eprintln!("slipway-bench: {msg}");
}

/// The `slipway` binary to run: the flag, else next to this program, else
/// in the workspace's release target dir.
fn slipway_bin(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = flag {
        if !path.is_file() {
            bail!("--slipway-bin {}: no such file", path.display());
        }
        return Ok(path.to_path_buf());
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.join("slipway"));
    }
    candidates.push(workspace_root().join("target/release/slipway"));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .with_context(|| {
            format!(
                "no slipway binary (looked at {}); run `cargo build --release -p slipway` \
                 or pass --slipway-bin",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The command that starts moto's server: the flag (or
/// `SLIPWAY_BENCH_MOTO_CMD`), else `moto_server` from the venv
/// `scripts/setup.sh` makes (`$SLIPWAY_VENV`, default `.venv`), else from
/// `PATH`.
fn moto_cmd(flag: Option<&str>) -> Vec<String> {
    if let Some(cmd) = flag {
        return cmd.split_whitespace().map(str::to_owned).collect();
    }
    let venv = std::env::var_os("SLIPWAY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv"));
    let in_venv = venv.join("bin/moto_server");
    if in_venv.is_file() {
        return vec![in_venv.display().to_string()];
    }
    vec!["moto_server".to_owned()]
}

/// The workspace this program was built from.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
