//! `slipway-bench s3` (docs/benchmarks.md "Object storage"): object storage throughput against the raw
//! disk, in one run on one machine.
//!
//! 1. Raw disk: `dd if=/dev/zero of=F bs=1M count=N conv=fsync` (write),
//!    then `dd if=F of=/dev/null bs=1M` after dropping the page cache when
//!    allowed (read).
//! 2. A fresh `slipway serve` with its data dir on the same file system.
//! 3. One N MiB PutObject and one GetObject through the S3 API from a
//!    streaming Rust client (SigV4, `UNSIGNED-PAYLOAD`), page cache dropped
//!    before the GET when allowed.
//! 4. `aws s3 cp` of the dd file up and back down (multipart, 8 MiB parts).
//! 5. The server's peak RSS (`VmHWM`).
//!
//! Ratios are S3 throughput over dd throughput; the goals are ≥ 0.7 and a
//! peak RSS under 100 MB.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, bail, Context};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use futures::StreamExt;

use crate::client::Target;
use crate::servers::Server;

/// Options of `s3`.
#[derive(clap::Args, Debug, Clone)]
pub struct S3Args {
    /// The `slipway` binary (default: next to this program, else
    /// `target/release/slipway`).
    #[arg(long)]
    pub slipway_bin: Option<PathBuf>,
    /// Object size in MiB.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=16384))]
    pub size_mib: u64,
    /// Directory for the dd file and the server's data (default: a temp
    /// dir under /var/tmp, i.e. on disk rather than tmpfs).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The AWS CLI (default: `aws` from `$SLIPWAY_VENV`, `.venv`, then PATH).
    #[arg(long)]
    pub aws_cli: Option<PathBuf>,
    /// Skip the `aws s3 cp` runs.
    #[arg(long)]
    pub no_cli: bool,
    /// Rounds of dd write/read + PUT/GET; medians are reported (the disk
    /// of a shared VM is noisy).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub runs: u32,
}

struct Row {
    what: String,
    secs: f64,
    mib_s: f64,
}

fn row(what: impl Into<String>, size_mib: u64, d: Duration) -> Row {
    let secs = d.as_secs_f64();
    Row {
        what: what.into(),
        secs,
        mib_s: size_mib as f64 / secs.max(1e-9),
    }
}

/// Drops the page cache so reads come from disk; false if not permitted.
fn drop_caches() -> bool {
    let _ = std::process::Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3\n").is_ok()
}

async fn run_timed(mut cmd: tokio::process::Command) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(started.elapsed())
}

pub(crate) fn find_aws(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_owned());
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(v) = std::env::var("SLIPWAY_VENV") {
        candidates.push(Path::new(&v).join("bin/aws"));
    }
    candidates.push(PathBuf::from(".venv/bin/aws"));
    candidates.push(PathBuf::from("/opt/slipway-venv/bin/aws"));
    candidates.into_iter().find(|p| p.is_file()).or_else(|| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("aws"))
                .find(|p| p.is_file())
        })
    })
}

pub(crate) fn slipway_bin(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_owned());
    }
    let next_to_us = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("slipway")));
    next_to_us
        .into_iter()
        .chain([PathBuf::from("target/release/slipway")])
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow!("no slipway binary found; pass --slipway-bin"))
}

/// A signed S3 request's headers (path-style, unsigned payload).
fn signed(target: &Target, method: &str, url: &str) -> anyhow::Result<Vec<(String, String)>> {
    signed_with(target, method, url, &[])
}

/// Like [`signed`], with `extra` headers (e.g. `x-amz-copy-source`) signed
/// too, as S3 wants every `x-amz-*` header signed.
pub(crate) fn signed_with(
    target: &Target,
    method: &str,
    url: &str,
    extra: &[(&str, &str)],
) -> anyhow::Result<Vec<(String, String)>> {
    let creds = Credentials::new(
        target.access_key_id.clone(),
        target.secret_access_key.clone(),
        None,
        None,
        "slipway-bench",
    );
    let identity = creds.into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&target.region)
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| anyhow!("signing parameters: {e}"))?
        .into();
    let host = target.endpoint.trim_start_matches("http://");
    let signable = SignableRequest::new(
        method,
        url,
        [("host", host)].into_iter().chain(extra.iter().copied()),
        SignableBody::UnsignedPayload,
    )?;
    let (instructions, _) = sign(signable, &params)?.into_parts();
    let (headers, _) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .collect())
}

pub(crate) async fn send(
    http: &reqwest::Client,
    target: &Target,
    method: reqwest::Method,
    path: &str,
    body: Option<reqwest::Body>,
    len: Option<u64>,
) -> anyhow::Result<reqwest::Response> {
    let url = format!("{}{path}", target.endpoint);
    let mut req = http.request(method.clone(), &url);
    for (k, v) in signed(target, method.as_str(), &url)? {
        req = req.header(k, v);
    }
    if let Some(n) = len {
        req = req.header("content-length", n);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req
        .send()
        .await
        .with_context(|| format!("{method} {path}"))?;
    if !resp.status().is_success() {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        bail!("{method} {path}: {status}: {text}");
    }
    Ok(resp)
}

/// 8 MiB of a fixed pseudo-random pattern: what the PUT sends, repeated.
pub(crate) fn pattern() -> Bytes {
    Bytes::from(
        (0..8 * 1024 * 1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect::<Vec<u8>>(),
    )
}

/// The CPU bound of a PUT: its ETag is the body's MD5, one sequential hash,
/// so no PUT can be faster than hashing the same bytes in memory on one
/// core with the server's MD5 (md-5 with `asm`).
fn md5_in_memory(bytes: u64) -> Duration {
    use md5::Digest as _;
    let chunk = pattern();
    let started = Instant::now();
    let mut md5 = md5::Md5::new();
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
        md5.update(&chunk[..n]);
        left -= n as u64;
    }
    std::hint::black_box(md5.finalize());
    started.elapsed()
}

/// One streaming PutObject of `bytes` (a repeated 8 MiB pattern).
async fn put_object(
    http: &reqwest::Client,
    target: &Target,
    bytes: u64,
) -> anyhow::Result<Duration> {
    let chunk = pattern();
    let chunks = bytes.div_ceil(chunk.len() as u64);
    let last = bytes - (chunks - 1) * chunk.len() as u64;
    let stream = futures::stream::iter((0..chunks).map(move |i| {
        let c = if i + 1 == chunks {
            chunk.slice(..usize::try_from(last).unwrap_or(chunk.len()))
        } else {
            chunk.clone()
        };
        Ok::<_, std::io::Error>(c)
    }));
    let started = Instant::now();
    let body = reqwest::Body::wrap_stream(stream);
    send(
        http,
        target,
        reqwest::Method::PUT,
        "/bench/object",
        Some(body),
        Some(bytes),
    )
    .await?;
    Ok(started.elapsed())
}

/// One streaming GetObject, every byte read and counted.
async fn get_object(
    http: &reqwest::Client,
    target: &Target,
    bytes: u64,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let resp = send(
        http,
        target,
        reqwest::Method::GET,
        "/bench/object",
        None,
        None,
    )
    .await?;
    let mut got = 0u64;
    let mut body = resp.bytes_stream();
    while let Some(c) = body.next().await {
        got += c?.len() as u64;
    }
    if got != bytes {
        bail!("GetObject returned {got} bytes, expected {bytes}");
    }
    Ok(started.elapsed())
}

pub async fn run(args: S3Args) -> anyhow::Result<bool> {
    let bin = slipway_bin(args.slipway_bin.as_deref())?;
    let base = match &args.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir_in("/var/tmp")?,
    };
    let n = args.size_mib;
    let bytes = n * 1024 * 1024;
    let mut rows = Vec::new();

    let server = Server::start_slipway(&bin, base.path()).await?;
    let target = server.target.clone();
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(3600))
        .build()?;
    send(
        &http,
        &target,
        reqwest::Method::PUT,
        "/bench",
        None,
        Some(0),
    )
    .await?;
    let dd_file = base.path().join("dd.bin");
    let mut samples: [Vec<Duration>; 5] = Default::default();
    let mut cold = true;
    for round in 1..=args.runs {
        eprintln!(
            "slipway-bench s3: round {round}/{}: dd, PutObject, GetObject of {n} MiB in {}",
            args.runs,
            base.path().display()
        );
        let mut dd = tokio::process::Command::new("dd");
        dd.args(["if=/dev/zero", "bs=1M", "conv=fsync", "status=none"])
            .arg(format!("of={}", dd_file.display()))
            .arg(format!("count={n}"));
        samples[0].push(run_timed(dd).await?);
        cold &= drop_caches();
        let mut dd = tokio::process::Command::new("dd");
        dd.args(["of=/dev/null", "bs=1M", "status=none"])
            .arg(format!("if={}", dd_file.display()));
        samples[1].push(run_timed(dd).await?);
        samples[2].push(put_object(&http, &target, bytes).await?);
        cold &= drop_caches();
        samples[3].push(get_object(&http, &target, bytes).await?);
        samples[4].push(tokio::task::spawn_blocking(move || md5_in_memory(bytes)).await?);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let cache = if cold {
        "cold cache"
    } else {
        "warm cache: cannot drop caches"
    };
    rows.push(row("dd write (conv=fsync)", n, median(&mut samples[0])));
    rows.push(row(
        format!("dd read ({cache})"),
        n,
        median(&mut samples[1]),
    ));
    rows.push(row(
        "S3 PutObject (single request)",
        n,
        median(&mut samples[2]),
    ));
    rows.push(row(
        format!("S3 GetObject ({cache})"),
        n,
        median(&mut samples[3]),
    ));
    rows.push(row(
        "MD5 in memory, one core (PUT's CPU bound)",
        n,
        median(&mut samples[4]),
    ));
    if !args.no_cli {
        match find_aws(args.aws_cli.as_deref()) {
            None => eprintln!("slipway-bench s3: no AWS CLI found; skipping `aws s3 cp`"),
            Some(aws) => {
                let cli = |a: &[&str]| {
                    let mut c = tokio::process::Command::new(&aws);
                    c.args(a)
                        .env("AWS_ENDPOINT_URL", &target.endpoint)
                        .env("AWS_ACCESS_KEY_ID", &target.access_key_id)
                        .env("AWS_SECRET_ACCESS_KEY", &target.secret_access_key)
                        .env("AWS_DEFAULT_REGION", &target.region)
                        .env("AWS_CONFIG_FILE", "/dev/null")
                        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                        .stdout(std::process::Stdio::null());
                    c
                };
                let src = dd_file.display().to_string();
                eprintln!("slipway-bench s3: aws s3 cp up");
                let up = run_timed(cli(&[
                    "s3",
                    "cp",
                    "--only-show-errors",
                    &src,
                    "s3://bench/cli.bin",
                ]))
                .await?;
                rows.push(row("aws s3 cp upload (multipart)", n, up));
                drop_caches();
                let down_file = base.path().join("down.bin");
                let dst = down_file.display().to_string();
                eprintln!("slipway-bench s3: aws s3 cp down");
                let down = run_timed(cli(&[
                    "s3",
                    "cp",
                    "--only-show-errors",
                    "s3://bench/cli.bin",
                    &dst,
                ]))
                .await?;
                rows.push(row("aws s3 cp download", n, down));
                let _ = std::fs::remove_file(&down_file);
            }
        }
    }
    let rss_kib = server.peak_rss_kib()?;
    server.stop().await?;

    let (w, r) = (rows[0].mib_s, rows[1].mib_s);
    println!(
        "Object storage, {n} MiB, medians of {} rounds, data on {}",
        args.runs,
        base.path().display()
    );
    println!(
        "{:<44} {:>9} {:>10} {:>8}",
        "run", "seconds", "MiB/s", "vs dd"
    );
    for x in &rows {
        let vs = if x.what.starts_with("dd") {
            String::new()
        } else if x.what.contains("Get") || x.what.contains("download") {
            format!("{:.2}x", x.mib_s / r)
        } else {
            format!("{:.2}x", x.mib_s / w)
        };
        println!("{:<44} {:>9.2} {:>10.1} {:>8}", x.what, x.secs, x.mib_s, vs);
    }
    let rss_mb = rss_kib as f64 * 1024.0 / 1e6;
    println!("server peak RSS (VmHWM): {rss_kib} KiB = {rss_mb:.1} MB");
    let put_ratio = rows[2].mib_s / w;
    let get_ratio = rows[3].mib_s / r;
    let pass = put_ratio >= 0.7 && get_ratio >= 0.7 && rss_mb < 100.0;
    println!(
        "goal: PUT and GET >= 0.7x dd, RSS < 100 MB: {}",
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}
