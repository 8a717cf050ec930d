//! `slipway-bench distributed` (docs/benchmarks.md "Distributed training"):
//! the wall time of one training job on N instances through Slipway
//! against the same N bare Podman containers on a network made by hand, in
//! the same run on the same machine.
//!
//! Both sides run the sample seller's distributed mode (docs/sample-seller.md:
//! every host counts its records and reports to `algo-1` over TCP by
//! hostname; `algo-1` trains and writes the model) on the same CSV, fully
//! replicated to every host:
//! - Slipway: CreateTrainingJob with `InstanceCount` N (data already in
//!   Slipway's S3), DescribeTrainingJob every 20 ms until Completed.
//!   Included: the job's network, per-host work dirs, config files and
//!   channel downloads, N containers, log shipping per host, model upload.
//! - Bare: per host the `/opt/ml` tree, the three config files and a copy
//!   of the CSV; `podman network create`; `podman run -d --network NET
//!   --network-alias algo-i --hostname algo-i` per host with the same
//!   limits; `podman wait` on each; `tar czf` of algo-1's model; the
//!   containers and the network removed.
//!
//! Runs alternate (bare, Slipway); medians are compared. Goal: Slipway ≤
//! 1.3× bare.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;

use crate::s3::slipway_bin;
use crate::training::{
    run_to_completion, server_with_csv, tar_model, through_slipway, training_request, write_csv,
    INSTANCE,
};

/// Options of `distributed`.
#[derive(clap::Args, Debug, Clone)]
pub struct DistributedArgs {
    /// The `slipway` binary (default: next to this program, else
    /// `target/release/slipway`).
    #[arg(long)]
    pub slipway_bin: Option<PathBuf>,
    /// The sample seller image (samples/build-sample-image.sh).
    #[arg(long, default_value = "localhost/slipway-sample:latest")]
    pub image: String,
    /// Instances (hosts) of the job.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(2..=8))]
    pub instances: u32,
    /// Rounds; medians are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub runs: u32,
    /// CSV records in the training channel.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub rows: u64,
    /// Gradient-descent epochs of `algo-1`.
    #[arg(long, default_value_t = 200)]
    pub epochs: u32,
    /// EnableNetworkIsolation: Slipway's isolated network (no DNS, closed
    /// to this machine) against a bare `podman network create --internal`.
    #[arg(long)]
    pub isolated: bool,
}

const GOAL: f64 = 1.3;

pub async fn run(args: DistributedArgs) -> anyhow::Result<bool> {
    let bin = slipway_bin(args.slipway_bin.as_deref())?;
    let base = tempfile::tempdir_in("/var/tmp")?;
    let csv = base.path().join("train.csv");
    write_csv(&csv, args.rows)?;

    let (server, client) = server_with_csv(&bin, base.path(), &csv).await?;
    let hyperparameters = json!({"epochs": args.epochs.to_string()});

    let (mut bare, mut slip) = (Vec::new(), Vec::new());
    for round in 1..=args.runs {
        eprintln!("slipway-bench distributed: round {round}/{}", args.runs);
        crate::servers::settle().await;
        bare.push(bare_cluster(&args, base.path(), &csv, round).await?);
        crate::servers::settle().await;
        let name = format!("bench-dist-{}-{round}", std::process::id());
        let wall = if args.isolated {
            let mut req = training_request(&args.image, &hyperparameters, args.instances, &name);
            req["EnableNetworkIsolation"] = json!(true);
            run_to_completion(&client, &req, Duration::from_millis(20))
                .await?
                .0
        } else {
            through_slipway(
                &client,
                &args.image,
                &hyperparameters,
                args.instances,
                &name,
            )
            .await?
            .0
        };
        slip.push(wall);
    }
    server.stop().await?;

    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (b, s) = (median(&mut bare), median(&mut slip));
    let ratio = s.as_secs_f64() / b.as_secs_f64();
    println!(
        "Distributed training job wall time, {} hosts of {INSTANCE}, sample seller, {} records fully replicated, {} epochs{}; medians of {} rounds",
        args.instances,
        args.rows,
        args.epochs,
        if args.isolated { ", network-isolated" } else { "" },
        args.runs
    );
    println!("{:<64} {:>9}", "run", "seconds");
    println!(
        "{:<64} {:>9.2}",
        "bare podman (network, dirs + config + data, run N, wait, tar)",
        b.as_secs_f64()
    );
    println!(
        "{:<64} {:>9.2}",
        "Slipway CreateTrainingJob InstanceCount N -> Completed",
        s.as_secs_f64()
    );
    let pass = ratio <= GOAL;
    println!(
        "ratio Slipway / bare: {ratio:.2}x; goal <= {GOAL}x: {}",
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}

/// The hosts' names, `algo-1` … `algo-N`.
fn hosts(n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("algo-{i}")).collect()
}

/// One host's `/opt/ml` tree under `root`, as the platform prepares it.
async fn host_dir(
    root: &Path,
    host: &str,
    all: &[String],
    epochs: u32,
    csv: &Path,
) -> anyhow::Result<PathBuf> {
    let ml = root.join(host);
    for d in ["input/config", "input/data/train", "model", "output/data"] {
        tokio::fs::create_dir_all(ml.join(d)).await?;
    }
    let config = ml.join("input/config");
    let files = [
        (
            "hyperparameters.json",
            json!({"epochs": epochs.to_string()}),
        ),
        (
            "inputdataconfig.json",
            json!({"train": {"ContentType": "text/csv", "TrainingInputMode": "File",
                             "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}}),
        ),
        (
            "resourceconfig.json",
            json!({"current_host": host, "current_instance_type": INSTANCE,
                   "current_group_name": "homogeneousCluster", "hosts": all,
                   "instance_groups": [{"instance_group_name": "homogeneousCluster",
                                        "instance_type": INSTANCE, "hosts": all}],
                   "network_interface_name": "eth0"}),
        ),
    ];
    for (name, doc) in files {
        tokio::fs::write(config.join(name), doc.to_string()).await?;
    }
    tokio::fs::copy(csv, ml.join("input/data/train/train.csv")).await?;
    Ok(ml)
}

async fn podman(args: &[&str]) -> anyhow::Result<()> {
    let out = tokio::process::Command::new("podman")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("podman {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "podman {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

async fn bare_cluster(
    args: &DistributedArgs,
    base: &Path,
    csv: &Path,
    round: u32,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let root = base.join(format!("bare-{round}"));
    let all = hosts(args.instances);
    let network = format!("bench-dist-{}-{round}", std::process::id());
    if args.isolated {
        podman(&["network", "create", "--internal", &network]).await?;
    } else {
        podman(&["network", "create", &network]).await?;
    }
    let mut containers = Vec::new();
    let result = async {
        for host in &all {
            let ml = host_dir(&root, host, &all, args.epochs, csv).await?;
            let name = format!("{network}-{host}");
            let mount = format!("{}:/opt/ml", ml.display());
            podman(&[
                "run",
                "-d",
                "--name",
                &name,
                "--network",
                &network,
                "--network-alias",
                host,
                "--hostname",
                host,
                "--memory",
                "8g",
                "--cpus",
                "2",
                "-v",
                &mount,
                &args.image,
                "train",
            ])
            .await?;
            containers.push(name);
        }
        for name in &containers {
            let out = tokio::process::Command::new("podman")
                .args(["wait", name])
                .output()
                .await?;
            let code = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if code != "0" {
                bail!("bare host {name} exited {code}");
            }
        }
        tar_model(&root.join("algo-1/model"), &root.join("model.tar.gz")).await?;
        for name in &containers {
            podman(&["rm", "-f", name]).await?;
        }
        podman(&["network", "rm", &network]).await
    }
    .await;
    let took = started.elapsed();
    if result.is_err() {
        for name in &containers {
            let _ = podman(&["rm", "-f", name]).await;
        }
        let _ = podman(&["network", "rm", "-f", &network]).await;
    }
    let _ = tokio::fs::remove_dir_all(&root).await;
    result.map(|()| took)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_numbered_from_one() {
        assert_eq!(hosts(3), ["algo-1", "algo-2", "algo-3"]);
    }
}
