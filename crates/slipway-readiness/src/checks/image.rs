//! Image checks: where the image lives (AWS pulls only from the seller's
//! own repositories), its platform, size, layers and user, and — by
//! running it — whether its ENTRYPOINT honours the `serve` argument.

use crate::report::{Category, Finding, ImageFacts, Severity};
use crate::Ctx;
use slipway_core::ports::engine::{
    ContainerId, ContainerSpec, ImageInfo, Limits, NetworkMode, LABEL_ACCOUNT, LABEL_JOB_ARN,
    LABEL_MANAGED,
};
use std::time::{Duration, Instant};

/// Above this, start-up and scaling slow down noticeably.
const LARGE_IMAGE_BYTES: u64 = 10 << 30;
/// overlayfs stacks at most 128 lower layers; engines refuse more.
const MAX_LAYERS: usize = 125;
/// How long the argument probe waits for a GET /ping answer.
const ARGV_PROBE_WINDOW: Duration = Duration::from_secs(4);
/// The argument the probe passes instead of `serve`.
pub const PROBE_ARGUMENT: &str = "slipway-readiness-probe";

/// Checks one image; `role` is `training` or `inference`.
pub async fn check(cx: &Ctx, role: &str, image: &str) -> (ImageFacts, Vec<Finding>) {
    let svc = cx.hosting.service();
    let mut facts = ImageFacts {
        role: role.to_owned(),
        image: image.to_owned(),
        ..ImageFacts::default()
    };
    let mut out = Vec::new();
    let subject = format!("{role} image {image}");
    let outside = |evidence: String| {
        Finding::new(
            "image.outside-seller-registry",
            Category::Image,
            Severity::BlocksListing,
            "The image is not in one of your own repositories",
        )
        .subject(subject.clone())
        .evidence(evidence)
        .fix(format!(
            "Push the image to a repository of account {acct} (aws ecr create-repository --repository-name NAME; docker push {acct}.dkr.ecr.{region}.amazonaws.com/NAME:TAG) and create the resource with that URI. AWS Marketplace pulls only from the seller's own ECR repositories in the listing's region and answers \"Client error: Access denied for registry\" otherwise.",
            acct = cx.account.as_str(),
            region = svc.region()
        ))
    };
    match svc.registry().resolve_image(&cx.account, image).await {
        Ok(Some(r)) => {
            facts.in_seller_registry = true;
            facts.digest = Some(r.digest.clone());
            cx.note_registry_image(image, &r.repository, &r.digest);
        }
        Ok(None) => out.push(outside(format!(
            "{image} is not in this server's registry (a local or third-party image)"
        ))),
        Err(e) => out.push(outside(e.to_string())),
    }
    let info = match slipway_service::jobs::lifecycle::pull_image(svc, &cx.account, image, role)
        .await
    {
        Ok(i) => i,
        Err(f) => {
            let platform = f.0.contains("manifest list") || f.0.contains("architecture");
            out.push(
                Finding::new(
                    if platform { "image.platform" } else { "image.unavailable" },
                    Category::Image,
                    if platform {
                        Severity::BlocksListing
                    } else {
                        Severity::BreaksBuyers
                    },
                    if platform {
                        "The image has no linux/amd64 variant"
                    } else {
                        "The image cannot be pulled"
                    },
                )
                .subject(subject.clone())
                .evidence(f.0.clone())
                .fix("Build and push the image for linux/amd64 (docker buildx build --platform linux/amd64 --push …): SageMaker's ML instances are x86-64."),
            );
            return (facts, out);
        }
    };
    cx.note_pulled(image, &info);
    facts.platform = format!("{}/{}", info.os, info.architecture);
    facts.size_bytes = info.size_bytes;
    facts.layers = info.layers;
    facts.user = info.user.clone();
    facts.entrypoint = info.entrypoint.clone();
    facts.cmd = info.cmd.clone();
    out.extend(image_config_findings(&info, &subject));
    if role == "inference" && !info.entrypoint.is_empty() && info.architecture == "amd64" {
        if let Some(f) = argv_probe(cx, &info, &subject).await {
            out.push(f);
        }
    }
    (facts, out)
}

/// What the image's configuration alone says.
pub fn image_config_findings(info: &ImageInfo, subject: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    if info.os != "linux" || info.architecture != "amd64" {
        out.push(
            Finding::new(
                "image.platform",
                Category::Image,
                Severity::BlocksListing,
                "The image is not built for linux/amd64",
            )
            .subject(subject)
            .evidence(format!(
                "the image's configuration says {}/{}",
                if info.os.is_empty() { "?" } else { &info.os },
                if info.architecture.is_empty() { "?" } else { &info.architecture }
            ))
            .fix("Build for linux/amd64 (docker buildx build --platform linux/amd64 …), or push a multi-platform index that includes linux/amd64: SageMaker's ML instances are x86-64, and an arm64 binary fails with \"exec format error\"."),
        );
    }
    if let Some(size) = info.size_bytes.filter(|s| *s > LARGE_IMAGE_BYTES) {
        out.push(
            Finding::new("image.large", Category::Image, Severity::Advice, "The image is very large")
                .subject(subject)
                .evidence(format!("{size} bytes unpacked ({:.1} GiB)", size as f64 / (1u64 << 30) as f64))
                .fix("Large images slow every endpoint start and auto-scaling: keep weights in the model artifacts (ModelDataUrl), use a slim base image and multi-stage builds."),
        );
    }
    if info.layers > MAX_LAYERS {
        out.push(
            Finding::new(
                "image.too-many-layers",
                Category::Image,
                Severity::BreaksBuyers,
                "The image has too many layers",
            )
            .subject(subject)
            .evidence(format!(
                "{} layers; overlay storage mounts at most 128",
                info.layers
            ))
            .fix("Squash layers (fewer RUN steps, multi-stage builds)."),
        );
    }
    let root = matches!(info.user.as_str(), "" | "root" | "0" | "0:0" | "root:root");
    if !root {
        out.push(
            Finding::new(
                "image.non-root-user",
                Category::Image,
                Severity::Advice,
                "The image runs as a non-root user",
            )
            .subject(subject)
            .evidence(format!("USER {}", info.user))
            .fix("SageMaker mounts /opt/ml owned by root and runs the image's USER: make sure that user can write /opt/ml/model and /opt/ml/output (training) and read /opt/ml/model (inference), or run as root."),
        );
    }
    if info.entrypoint.is_empty() && !info.env.iter().any(|e| e.starts_with("PATH=")) {
        out.push(
            Finding::new(
                "image.no-path",
                Category::Image,
                Severity::Advice,
                "The image has no ENTRYPOINT and no PATH",
            )
            .subject(subject)
            .evidence("without an ENTRYPOINT SageMaker runs `train` or `serve` as the command, found through PATH, and the image sets none")
            .fix("Set ENV PATH (or an exec-form ENTRYPOINT that dispatches on its first argument)."),
        );
    }
    out
}

/// A short trial run of the image: no network, one CPU and 2 GiB, labelled
/// with the resource's ARN so a leftover is removed with the next report.
fn trial_spec(cx: &Ctx, purpose: &str, info: &ImageInfo) -> ContainerSpec {
    let name = format!(
        "slipway-{purpose}-{}-{}",
        cx.account.as_str(),
        cx.short_key()
    );
    let mut spec = ContainerSpec::new(name, info.id.clone());
    spec.network = NetworkMode::None;
    spec.limits = Limits {
        nano_cpus: Some(1_000_000_000),
        memory_bytes: Some(2 << 30),
    };
    spec.labels
        .insert(LABEL_JOB_ARN.into(), cx.subject.record.arn.clone());
    spec.labels
        .insert(LABEL_ACCOUNT.into(), cx.account.as_str().to_owned());
    spec.labels.insert(LABEL_MANAGED.into(), "1".into());
    spec
}

/// Starts the image with [`PROBE_ARGUMENT`] instead of `serve`: an
/// ENTRYPOINT that still answers GET /ping ignores its argument, so the
/// same image run with `train` would serve too (or the reverse).
async fn argv_probe(cx: &Ctx, info: &ImageInfo, subject: &str) -> Option<Finding> {
    let svc = cx.hosting.service();
    let rt = svc.job_runtime();
    let engine = rt.engine().clone();
    let mut spec = trial_spec(cx, "argv", info);
    spec.args = vec![PROBE_ARGUMENT.to_owned()];
    let id = ContainerId(spec.name.clone());
    let _ = engine.remove(&id, true).await;
    if engine.create(&spec).await.is_err() || engine.start(&id).await.is_err() {
        let _ = engine.remove(&id, true).await;
        return None; // it cannot even start: the real-time check says why
    }
    let started = Instant::now();
    let mut answered = None;
    if let Ok(forward) = engine.reach_port(&id, 8080).await {
        let url = format!("http://{}/ping", forward.addr);
        while started.elapsed() < ARGV_PROBE_WINDOW {
            let r = cx
                .client
                .get(&url)
                .timeout(Duration::from_millis(500))
                .send()
                .await;
            if let Ok(r) = r {
                if r.status().is_success() {
                    answered = Some(started.elapsed());
                    break;
                }
            }
            if engine
                .inspect(&id)
                .await
                .map(|s| !s.running)
                .unwrap_or(true)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        drop(forward);
    }
    let _ = engine.kill(&id).await;
    let _ = engine.remove(&id, true).await;
    let after = answered?;
    Some(
        Finding::new(
            "image.entrypoint-ignores-argument",
            Category::Image,
            Severity::BreaksBuyers,
            "The ENTRYPOINT ignores its `train` / `serve` argument",
        )
        .subject(subject)
        .evidence(format!(
            "ENTRYPOINT {:?} was started with the argument \"{PROBE_ARGUMENT}\" instead of \"serve\" and still answered GET /ping with 200 after {} ms",
            info.entrypoint,
            after.as_millis()
        ))
        .fix("SageMaker runs the image as `IMAGE train` for training and `IMAGE serve` for inference: make the ENTRYPOINT dispatch on its first argument (exec form, e.g. ENTRYPOINT [\"/usr/local/bin/entry\"] reading $1), so a training job never starts a server and an endpoint never trains."),
    )
}

/// Why the container of `role` could not start, as [`not_runnable`]
/// says; when the engine only says "not found in $PATH" (runc skips files
/// it may not execute while searching PATH), each PATH directory is tried
/// by absolute path to tell "missing" from "present but not executable".
pub async fn why_not_runnable(
    cx: &Ctx,
    image: &str,
    role: &str,
    command: &str,
    reason: &str,
    subject: &str,
) -> Option<Finding> {
    let first = not_runnable(role, command, reason, subject)?;
    if first.id != format!("image.{command}-not-found") {
        return Some(first);
    }
    let Some(info) = cx.pulled(image).filter(|i| i.entrypoint.is_empty()) else {
        return Some(first);
    };
    let path = info
        .env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .to_owned();
    let engine = cx.hosting.service().job_runtime().engine().clone();
    for dir in path.split(':').filter(|d| d.starts_with('/')).take(16) {
        let file = format!("{}/{command}", dir.trim_end_matches('/'));
        let mut spec = trial_spec(cx, "locate", &info);
        spec.entrypoint = Some(vec![file.clone()]);
        let id = ContainerId(spec.name.clone());
        let _ = engine.remove(&id, true).await;
        let mut started = match engine.create(&spec).await {
            Ok(_) => engine.start(&id).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if started.is_ok() {
            // Some runtimes report a failed exec as exit 126 (not
            // executable) or 127 (not found) rather than a failed start.
            tokio::time::sleep(Duration::from_millis(200)).await;
            if let Ok(st) = engine.inspect(&id).await {
                match st.exit_code.filter(|_| !st.running) {
                    Some(126) => started = Err("exit code 126: permission denied".into()),
                    Some(127) => started = Err("exit code 127: not found".into()),
                    _ => {}
                }
            }
        }
        let _ = engine.kill(&id).await;
        let _ = engine.remove(&id, true).await;
        if let Err(words) = started {
            if words.to_ascii_lowercase().contains("permission denied") {
                return Some(
                    Finding::new(
                        &format!("image.{command}-not-executable"),
                        Category::Image,
                        Severity::BreaksBuyers,
                        format!("`{command}` is not executable"),
                    )
                    .subject(subject)
                    .evidence(format!("the {role} container could not start: {reason}"))
                    .evidence(format!("{file} is in the image but may not be executed: {words}"))
                    .fix(format!(
                        "Make {file} executable (COPY --chmod=0755, or RUN chmod +x {file}): with no ENTRYPOINT SageMaker runs `{command}` found through PATH, and a file without the execute bit is skipped."
                    )),
                );
            }
        } else {
            // It started from this directory: then PATH lookup would have found it.
            break;
        }
    }
    Some(first)
}

/// Why the container of `role` could not start, when the engine's words
/// say its command is missing or not executable.
pub fn not_runnable(role: &str, command: &str, reason: &str, subject: &str) -> Option<Finding> {
    let lower = reason.to_ascii_lowercase();
    let (id, title) = if lower.contains("permission denied") {
        (
            format!("image.{command}-not-executable"),
            format!("`{command}` is not executable"),
        )
    } else if lower.contains("executable file not found")
        || lower.contains("no such file or directory")
        || lower.contains("not found in $path")
    {
        (
            format!("image.{command}-not-found"),
            format!("`{command}` is not on PATH"),
        )
    } else {
        return None;
    };
    Some(
        Finding::new(&id, Category::Image, Severity::BreaksBuyers, title)
            .subject(subject)
            .evidence(format!("the {role} container could not start: {reason}"))
            .fix(format!(
                "With no ENTRYPOINT SageMaker runs `{command}` as the command: install an executable `{command}` on PATH (COPY --chmod=0755 {command} /usr/local/bin/{command}), or set an exec-form ENTRYPOINT that handles the `{command}` argument."
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amd64() -> ImageInfo {
        ImageInfo {
            os: "linux".into(),
            architecture: "amd64".into(),
            entrypoint: vec!["/bin/app".into()],
            layers: 3,
            size_bytes: Some(1 << 20),
            ..ImageInfo::default()
        }
    }

    fn ids(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn a_plain_amd64_root_image_has_nothing_to_say() {
        assert!(image_config_findings(&amd64(), "img").is_empty());
    }

    #[test]
    fn arm64_non_root_and_too_many_layers_are_each_named() {
        let mut i = amd64();
        i.architecture = "arm64".into();
        assert_eq!(ids(&image_config_findings(&i, "img")), ["image.platform"]);
        let mut i = amd64();
        i.user = "1000:1000".into();
        assert_eq!(
            ids(&image_config_findings(&i, "img")),
            ["image.non-root-user"]
        );
        let mut i = amd64();
        i.user = "root".into();
        i.layers = 126;
        assert_eq!(
            ids(&image_config_findings(&i, "img")),
            ["image.too-many-layers"]
        );
        let mut i = amd64();
        i.entrypoint.clear();
        assert_eq!(ids(&image_config_findings(&i, "img")), ["image.no-path"]);
        i.env.push("PATH=/usr/bin".into());
        assert!(image_config_findings(&i, "img").is_empty());
    }

    #[test]
    fn the_engines_words_say_which_command_cannot_run() {
        let denied = "crun: open executable: Permission denied: OCI permission denied";
        assert_eq!(
            not_runnable("inference", "serve", denied, "s").map(|f| f.id),
            Some("image.serve-not-executable".to_owned())
        );
        let missing = "executable file `train` not found in $PATH: No such file or directory";
        assert_eq!(
            not_runnable("training", "train", missing, "s").map(|f| f.id),
            Some("image.train-not-found".to_owned())
        );
        assert!(not_runnable("inference", "serve", "exited with code 1", "s").is_none());
    }
}
