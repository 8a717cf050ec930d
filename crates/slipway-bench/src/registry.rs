//! `slipway-bench registry`: push and pull of a multi-layer image with
//! podman, Slipway's built-in registry against Debian's `docker-registry`
//! (CNCF distribution 2.8) in the same run, on the same disk.
//!
//! 1. Start `docker-registry` (filesystem storage in a temp dir, no auth)
//!    and `slipway serve`; log in to Slipway with an ECR token.
//! 2. Each round, for each registry in alternating order: build a fresh
//!    image FROM scratch with N layers of random bytes (random so
//!    compression cannot shrink the transfer, fresh so no client cache or
//!    cross-repository mount skips an upload), `podman push` it (timed),
//!    remove it locally and `podman pull` it back (timed).
//!
//! The ratio is docker-registry's time over Slipway's (above 1.0: Slipway
//! is faster). podman compresses layers on push and decompresses on pull
//! for both, so both columns include the same client work.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use rand::RngCore;
use tokio::process::Command;

use crate::servers::Server;

/// Options of `registry`.
#[derive(clap::Args, Debug, Clone)]
pub struct RegistryArgs {
    /// The `slipway` binary (default: next to this program, else
    /// `target/release/slipway`).
    #[arg(long)]
    pub slipway_bin: Option<PathBuf>,
    /// Debian's distribution registry.
    #[arg(long, default_value = "/usr/bin/docker-registry")]
    pub docker_registry: PathBuf,
    /// Image size in MiB (split evenly across the layers).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=8192))]
    pub size_mib: u64,
    /// Number of data layers.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub layers: u64,
    /// Rounds (each pushes and pulls once per registry); medians reported.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub runs: u32,
    /// Working directory (default: a temp dir under /var/tmp).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The AWS CLI (default: `aws` from `$SLIPWAY_VENV`, `.venv`, then PATH).
    #[arg(long)]
    pub aws_cli: Option<PathBuf>,
}

async fn run_cmd(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd
        .output()
        .await
        .with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn podman(args: &[&str]) -> anyhow::Result<String> {
    run_cmd(Command::new("podman").args(args)).await
}

/// A free loopback port (bound then released; the registry binds it next).
fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// `docker-registry serve` with filesystem storage under `dir`.
async fn start_distribution(
    bin: &Path,
    dir: &Path,
) -> anyhow::Result<(tokio::process::Child, String)> {
    let port = free_port()?;
    let config = dir.join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("distribution").display()
        ),
    )?;
    let log = std::fs::File::create(dir.join("distribution.log"))?;
    let child = Command::new(bin)
        .arg("serve")
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let host = format!("127.0.0.1:{port}");
    let url = format!("http://{host}/v2/");
    for _ in 0..100 {
        if reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok((child, host));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("docker-registry did not answer on {url}")
}

/// A fresh image of `layers` random layers of `layer_bytes` each.
async fn build_image(ctx: &Path, tag: &str, layers: u64, layer_bytes: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(ctx)?;
    let mut containerfile = String::from("FROM scratch\n");
    let mut rng = rand::thread_rng();
    let mut data = vec![0u8; usize::try_from(layer_bytes)?];
    for i in 0..layers {
        rng.fill_bytes(&mut data);
        std::fs::write(ctx.join(format!("layer{i}.bin")), &data)?;
        containerfile.push_str(&format!("COPY layer{i}.bin /data/layer{i}.bin\n"));
    }
    std::fs::write(ctx.join("Containerfile"), containerfile)?;
    let ctx_s = ctx.to_string_lossy().into_owned();
    podman(&["build", "--quiet", "-t", tag, &ctx_s]).await?;
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs the benchmark; `Ok(true)` when both ratios meet the goal.
pub async fn run(args: RegistryArgs) -> anyhow::Result<bool> {
    let base = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("/var/tmp"));
    let work = tempfile::Builder::new()
        .prefix("slipway-bench-registry-")
        .tempdir_in(&base)?;
    let dir = work.path();
    let slipway = crate::s3::slipway_bin(args.slipway_bin.as_deref())?;
    let aws = crate::s3::find_aws(args.aws_cli.as_deref())
        .ok_or_else(|| anyhow!("the AWS CLI is needed (scripts/setup.sh)"))?;

    // 1. The registries.
    let (mut dist, dist_host) = start_distribution(&args.docker_registry, dir).await?;
    let server = Server::start_slipway(&slipway, dir).await?;
    let t = &server.target;
    let slipway_host = t.endpoint.trim_start_matches("http://").to_owned();
    let aws_cmd = |a: &[&str]| {
        let mut c = Command::new(&aws);
        c.args(a)
            .env("AWS_ENDPOINT_URL", &t.endpoint)
            .env("AWS_ACCESS_KEY_ID", &t.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &t.secret_access_key)
            .env("AWS_DEFAULT_REGION", &t.region)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        c
    };
    let password = run_cmd(&mut aws_cmd(&["ecr", "get-login-password"])).await?;
    let creds = format!("AWS:{}", password.trim());

    let ctx = dir.join("ctx");
    let layer_bytes = args.size_mib * 1024 * 1024 / args.layers;
    // 2. Rounds.
    let mut times: Vec<(&str, Vec<f64>, Vec<f64>)> = vec![
        ("docker-registry", Vec::new(), Vec::new()),
        ("slipway", Vec::new(), Vec::new()),
    ];
    let result = async {
        for round in 0..args.runs {
            let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for i in order {
                let repo = format!("bench/r{round}");
                let (host, auth): (&str, Option<&str>) = if i == 0 {
                    (&dist_host, None)
                } else {
                    run_cmd(&mut aws_cmd(&[
                        "ecr",
                        "create-repository",
                        "--repository-name",
                        &repo,
                    ]))
                    .await?;
                    (&slipway_host, Some(&creds))
                };
                let tag = format!(
                    "localhost/slipway-bench-registry:{}-{round}-{i}",
                    std::process::id()
                );
                build_image(&ctx, &tag, args.layers, layer_bytes).await?;
                let remote = format!("{host}/{repo}:1");
                let mut push = vec!["push", "--quiet", "--tls-verify=false"];
                let mut pull = vec!["pull", "--quiet", "--tls-verify=false"];
                if let Some(c) = auth {
                    push.extend(["--creds", c]);
                    pull.extend(["--creds", c]);
                }
                push.extend([tag.as_str(), remote.as_str()]);
                pull.push(&remote);
                let start = Instant::now();
                podman(&push).await?;
                let push_s = start.elapsed().as_secs_f64();
                // Pull into an empty store: the local image goes first, and
                // comes back from the pull, then is removed too.
                podman(&["rmi", "-f", &tag]).await?;
                let start = Instant::now();
                podman(&pull).await?;
                let pull_s = start.elapsed().as_secs_f64();
                podman(&["rmi", &remote]).await?;
                eprintln!(
                    "round {round} {:16} push {push_s:6.2}s pull {pull_s:6.2}s",
                    times[i].0
                );
                times[i].1.push(push_s);
                times[i].2.push(pull_s);
            }
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    let rss = server.peak_rss_kib().unwrap_or(0);
    server.stop().await.ok();
    dist.kill().await.ok();
    result?;

    let mib = args.size_mib as f64;
    println!("| registry | push s (median) | push MiB/s | pull s (median) | pull MiB/s |");
    println!("|---|---:|---:|---:|---:|");
    let mut med = Vec::new();
    for (name, push, pull) in &times {
        let (p, q) = (median(push.clone()), median(pull.clone()));
        med.push((p, q));
        println!(
            "| {name} | {p:.2} | {:.1} | {q:.2} | {:.1} |",
            mib / p,
            mib / q
        );
    }
    println!();
    println!(
        "ratio (docker-registry time / slipway time): push {:.2}x, pull {:.2}x (goal >= 1.0x)",
        med[0].0 / med[1].0,
        med[0].1 / med[1].1
    );
    println!("slipway peak RSS: {} MiB", rss / 1024);
    Ok(med[0].0 / med[1].0 >= 1.0 && med[0].1 / med[1].1 >= 1.0)
}
