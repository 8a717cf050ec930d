//! `slipway-bench`: benchmarks as separate programs, run against real
//! server processes (never `#[test]`s with timers).
//!
//! `slipway-bench control-plane` starts Slipway and moto's server, seeds both
//! with the same model packages, and measures DescribeModelPackage and
//! ListModelPackages throughput and latency against each (docs/benchmarks.md "Control plane").

mod client;
mod control_plane;
mod distributed;
mod endpoint;
mod pipe;
mod publish;
mod readiness;
mod registry;
mod report;
mod s3;
mod servers;
mod stats;
mod training;
mod transform;
mod tuning;
mod validation;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "slipway-bench", about = "Benchmarks for Slipway")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// DescribeModelPackage and ListModelPackages against Slipway and moto's
    /// server, same data, same signed requests, same clients.
    ControlPlane(ControlPlaneArgs),
    /// 1 GiB PutObject/GetObject and `aws s3 cp` against raw disk (`dd`),
    /// with the server's peak RSS (docs/benchmarks.md "Object storage").
    S3(s3::S3Args),
    /// Wall time of a training job through Slipway against a bare podman
    /// sequence doing the same work (docs/benchmarks.md "Training jobs").
    Training(training::TrainingArgs),
    /// Records per second of a batch transform job against a direct HTTP
    /// client driving the same container the same way (docs/benchmarks.md "Batch transform").
    Transform(transform::TransformArgs),
    /// Wall time of a full algorithm validation (training + transform)
    /// against a bare podman sequence doing the same work (docs/benchmarks.md "Validation").
    Validation(validation::ValidationArgs),
    /// InvokeEndpoint through Slipway against straight calls to the same
    /// container, and Creating → InService after the first GET /ping 200
    /// (docs/benchmarks.md "Endpoints").
    Endpoint(endpoint::EndpointArgs),
    /// The readiness report's wall time against its validation's own, in
    /// the same run (docs/benchmarks.md "Readiness").
    Readiness(validation::ValidationArgs),
    /// podman push/pull of a multi-layer image: Slipway's registry against
    /// Debian's docker-registry in the same run.
    Registry(registry::RegistryArgs),
    /// A Marketplace Catalog change set publishing one version (a 50 MiB
    /// image, a 10 MiB model) against the plain copy of the same bytes
    /// (docs/benchmarks.md "Publishing").
    Publish(publish::PublishArgs),
    /// A Random tuning job of 8 children, 2 at a time, against the same
    /// 8 training jobs back to back (docs/benchmarks.md "Tuning jobs").
    Tuning(tuning::TuningArgs),
    /// A training job on several instances against the same bare Podman
    /// containers on a network made by hand (docs/benchmarks.md
    /// "Distributed training").
    Distributed(distributed::DistributedArgs),
    /// Pipe-mode read throughput of 1 GiB in a training container against
    /// reading the same bytes from a File-mode channel's file, same job
    /// (docs/benchmarks.md "Pipe input mode").
    Pipe(pipe::PipeArgs),
}

/// Options of `control-plane`; defaults are the figures of the control-plane goal (docs/benchmarks.md "Control plane").
#[derive(clap::Args, Debug, Clone)]
pub struct ControlPlaneArgs {
    /// The `slipway` binary. Default: `slipway` next to this program (so
    /// `cargo build --release -p slipway` first), else the workspace's
    /// `target/release/slipway`.
    #[arg(long)]
    pub slipway_bin: Option<PathBuf>,
    /// How to start moto's server, split on whitespace; `-p PORT` is
    /// appended. Default: `moto_server` from `$SLIPWAY_VENV`, else from the
    /// workspace's `.venv` (made by `scripts/setup.sh`), else from `PATH`.
    #[arg(long, env = "SLIPWAY_BENCH_MOTO_CMD")]
    pub moto_cmd: Option<String>,
    /// Concurrent clients: tokio tasks with one keep-alive connection each.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub clients: u32,
    /// Measured seconds per workload and target.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,
    /// Unmeasured warm-up seconds before each measured run.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub warmup: u64,
    /// Model packages seeded into each server.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub packages: u32,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::ControlPlane(args) => control_plane::run(args).await,
            Command::S3(args) => s3::run(args).await,
            Command::Training(args) => training::run(args).await,
            Command::Pipe(args) => pipe::run(args).await,
            Command::Transform(args) => transform::run(args).await,
            Command::Validation(args) => validation::run(args).await,
            Command::Readiness(args) => readiness::run(args).await,
            Command::Registry(args) => registry::run(args).await,
            Command::Endpoint(args) => endpoint::run(args).await,
            Command::Publish(args) => publish::run(args).await,
            Command::Tuning(args) => tuning::run(args).await,
            Command::Distributed(args) => distributed::run(args).await,
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
