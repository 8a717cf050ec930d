//! `slipway-bench publish` (docs/benchmarks.md "Publishing"): the wall time
//! of a Marketplace Catalog change set that publishes one version of a
//! model package, against copying the same bytes the plain way, in the
//! same run. Goal: every change set goes PREPARING → SUCCEEDED in under 2 s.
//!
//! Set-up (not timed): `slipway serve`; an ECR repository of the seller's
//! account holding the sample seller image with one extra layer of random
//! (incompressible) bytes, about 50 MiB in all; a 10 MiB `model.tar.gz` in
//! S3 (the sample's `model.json` and random padding); a model package of
//! the two with CertifyForMarketplace, validated until Completed.
//!
//! Why the sample image, validated for real: CreateModelPackage refuses
//! CertifyForMarketplace without a ValidationSpecification, and only a
//! Completed package can be published, so the package needs an image that
//! serves. The sample seller serves a linear model and its validation (one
//! small transform job) takes about a second; a 50 MiB layer built FROM
//! it gives the image its size without changing what runs.
//!
//! Each round (timed):
//! - plain copy, within the seller's account: CreateRepository, a
//!   cross-repository mount of every blob of the image, a PUT of its
//!   manifest, and an S3 CopyObject of the model — the registry and storage
//!   work a publication's copy amounts to, without the Catalog;
//! - Catalog: StartChangeSet (CreateProduct, UpdateInformation,
//!   AddDeliveryOptions, CreateOffer, UpdatePricingTerms, ReleaseProduct; a
//!   new product each round), then DescribeChangeSet every 20 ms until
//!   SUCCEEDED.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use base64::Engine as _;
use rand::RngCore;
use reqwest::Method;
use serde_json::{json, Value};

use crate::client::{Client, Target};
use crate::servers::{podman, Server};

/// The goal: a change set publishing one version succeeds within this.
const GOAL: Duration = Duration::from_secs(2);
const CATALOG: &str = "AWSMarketplace";
const SELLER_REPO: &str = "bench-seller";
const BUCKET: &str = "bench-publish";
const MODEL_KEY: &str = "model/model.tar.gz";
const ECR: &str = "AmazonEC2ContainerRegistry_V20150921";
/// What the image's manifest may be: podman pushes either.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

#[derive(clap::Args, Debug, Clone)]
pub struct PublishArgs {
    /// The `slipway` binary (default: next to this program, else
    /// `target/release/slipway`).
    #[arg(long)]
    pub slipway_bin: Option<PathBuf>,
    /// The sample seller image the published image is built FROM
    /// (samples/build-sample-image.sh).
    #[arg(
        long,
        env = "SLIPWAY_SAMPLE_IMAGE",
        default_value = "localhost/slipway-sample:latest"
    )]
    pub sample_image: String,
    /// MiB of random bytes in the image's extra layer.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub image_mib: u64,
    /// MiB of random padding in `model.tar.gz`.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub model_mib: u64,
    /// Rounds (one new product each); medians and maxima reported. The
    /// marketplace allows 100 products per seller.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=90))]
    pub runs: u32,
}

/// The image as the seller's registry holds it.
struct Manifest {
    media_type: String,
    body: Vec<u8>,
    /// The config's and the layers' digests.
    blobs: Vec<String>,
    /// Bytes of the config and layers, as the manifest states them.
    bytes: u64,
}

/// What the rounds need from the set-up.
struct Seller {
    client: Client,
    http: reqwest::Client,
    target: Target,
    /// `Basic` credentials for the registry: ECR's authorizationToken is
    /// already base64 of `AWS:<password>`.
    registry_auth: String,
    manifest: Manifest,
    package_arn: String,
}

pub async fn run(args: PublishArgs) -> anyhow::Result<bool> {
    let bin = crate::s3::slipway_bin(args.slipway_bin.as_deref())?;
    let base = tempfile::Builder::new()
        .prefix("slipway-bench-publish-")
        .tempdir_in("/var/tmp")?;
    let server = Server::start_slipway(&bin, base.path()).await?;
    let result = async {
        let seller = set_up(&args, &server.target, base.path()).await?;
        let (mut plain, mut catalog) = (Vec::new(), Vec::new());
        for round in 1..=args.runs {
            eprintln!("slipway-bench publish: round {round}/{}", args.runs);
            plain.push(plain_copy(&seller, round).await?);
            let (took, done) = publish(&seller, round).await?;
            catalog.push(took);
            if round == 1 {
                check_copy(&seller, &done).await?;
            }
        }
        anyhow::Ok((seller.manifest.bytes, plain, catalog))
    }
    .await;
    server.stop().await?;
    let (image_bytes, mut plain, mut catalog) = result?;
    plain.sort();
    catalog.sort();
    let stats = |v: &[Duration]| (v[v.len() / 2], v[v.len() - 1]);
    let ((pm, px), (cm, cx)) = (stats(&plain), stats(&catalog));
    println!(
        "Publishing one version: an image of {:.1} MiB (the sample seller + {} MiB of random bytes), a {} MiB model.tar.gz; {} rounds",
        image_bytes as f64 / (1024.0 * 1024.0),
        args.image_mib,
        args.model_mib,
        args.runs
    );
    println!("{:<70} {:>8} {:>8}", "run", "median s", "max s");
    println!(
        "{:<70} {:>8.3} {:>8.3}",
        "plain copy: CreateRepository + blob mounts + manifest PUT + CopyObject",
        pm.as_secs_f64(),
        px.as_secs_f64()
    );
    println!(
        "{:<70} {:>8.3} {:>8.3}",
        "Catalog: StartChangeSet -> SUCCEEDED (polled every 20 ms)",
        cm.as_secs_f64(),
        cx.as_secs_f64()
    );
    let pass = cx < GOAL;
    println!(
        "ratio Catalog / plain copy (medians): {:.1}x; goal: every change set under {} s (max {:.3} s): {}",
        cm.as_secs_f64() / pm.as_secs_f64().max(1e-6),
        GOAL.as_secs(),
        cx.as_secs_f64(),
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}

/// A JSON 1.1 call that must answer 200; its parsed body.
async fn call(client: &Client, service: &str, target: &str, body: Value) -> anyhow::Result<Value> {
    let r = client
        .call_json(service, target, body.to_string().as_bytes())
        .await?;
    if r.status != 200 {
        bail!(
            "{target}: HTTP {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    serde_json::from_slice(&r.body).with_context(|| format!("{target}: the answer is not JSON"))
}

async fn set_up(args: &PublishArgs, target: &Target, dir: &Path) -> anyhow::Result<Seller> {
    let client = Client::new(target)?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()?;
    let token = call(
        &client,
        "ecr",
        &format!("{ECR}.GetAuthorizationToken"),
        json!({}),
    )
    .await?;
    let registry_auth = token["authorizationData"][0]["authorizationToken"]
        .as_str()
        .ok_or_else(|| anyhow!("GetAuthorizationToken: no token in {token}"))?
        .to_owned();
    let creds = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&registry_auth)
            .context("the registry token is not base64")?,
    )?;
    let repo = call(
        &client,
        "ecr",
        &format!("{ECR}.CreateRepository"),
        json!({"repositoryName": SELLER_REPO}),
    )
    .await?;
    let repo_uri = repo["repository"]["repositoryUri"]
        .as_str()
        .ok_or_else(|| anyhow!("CreateRepository: no repositoryUri in {repo}"))?;
    let image = format!("{repo_uri}:v1");

    // The image: FROM the sample seller, one layer of random bytes.
    let ctx = dir.join("image");
    std::fs::create_dir_all(&ctx)?;
    std::fs::write(ctx.join("pad.bin"), random_bytes(args.image_mib)?)?;
    std::fs::write(
        ctx.join("Containerfile"),
        format!(
            "FROM {}\nCOPY pad.bin /opt/bench/pad.bin\n",
            args.sample_image
        ),
    )?;
    let tag = format!("localhost/slipway-bench-publish:{}", std::process::id());
    let ctx_s = ctx.to_string_lossy().into_owned();
    podman(&["build", "--quiet", "-t", &tag, &ctx_s]).await?;
    let host = target.endpoint.trim_start_matches("http://");
    let remote = format!("{host}/{SELLER_REPO}:v1");
    let pushed = podman(&[
        "push",
        "--quiet",
        "--tls-verify=false",
        "--creds",
        &creds,
        &tag,
        &remote,
    ])
    .await;
    let _ = podman(&["rmi", "-f", &tag]).await;
    pushed?;
    let manifest = get_manifest(&http, target, &registry_auth).await?;

    // The model and the validation's batch input.
    put_object(&http, target, &format!("/{BUCKET}"), Vec::new()).await?;
    let model = model_tar(dir, args.model_mib).await?;
    put_object(&http, target, &format!("/{BUCKET}/{MODEL_KEY}"), model).await?;
    let batch = b"1,1\n2,-1\n0,0\n".to_vec();
    put_object(&http, target, &format!("/{BUCKET}/batch/q.csv"), batch).await?;

    let package_arn = certified_package(&client, &image).await?;
    Ok(Seller {
        client,
        http,
        target: target.clone(),
        registry_auth,
        manifest,
        package_arn,
    })
}

/// A signed PUT of `body` (a bucket when `path` is `/BUCKET`).
async fn put_object(
    http: &reqwest::Client,
    target: &Target,
    path: &str,
    body: Vec<u8>,
) -> anyhow::Result<()> {
    let len = body.len() as u64;
    crate::s3::send(
        http,
        target,
        Method::PUT,
        path,
        Some(body.into()),
        Some(len),
    )
    .await?;
    Ok(())
}

fn random_bytes(mib: u64) -> anyhow::Result<Vec<u8>> {
    let mut data = vec![0u8; usize::try_from(mib * 1024 * 1024)?];
    rand::thread_rng().fill_bytes(&mut data);
    Ok(data)
}

/// A `model.tar.gz` the sample serves (`model.json`: y = 3a - 2b + 1) with
/// `mib` MiB of random padding beside it, so it does not compress. Made
/// with the system's `tar`: set-up only, and the workspace has no tar
/// library.
async fn model_tar(dir: &Path, mib: u64) -> anyhow::Result<Vec<u8>> {
    let model = dir.join("model");
    std::fs::create_dir_all(&model)?;
    let doc = json!({"format": "slipway-sample-linear-v1", "feature_count": 2,
                     "weights": [3.0, -2.0], "bias": 1.0});
    std::fs::write(model.join("model.json"), doc.to_string())?;
    std::fs::write(model.join("padding.bin"), random_bytes(mib)?)?;
    let out = dir.join("model.tar.gz");
    let status = tokio::process::Command::new("tar")
        .arg("-czf")
        .arg(&out)
        .arg("-C")
        .arg(&model)
        .args(["model.json", "padding.bin"])
        .status()
        .await
        .context("running tar")?;
    if !status.success() {
        bail!("tar -czf {}: {status}", out.display());
    }
    Ok(tokio::fs::read(&out).await?)
}

/// The seller image's manifest, read back from the registry.
async fn get_manifest(
    http: &reqwest::Client,
    target: &Target,
    auth: &str,
) -> anyhow::Result<Manifest> {
    let url = format!("{}/v2/{SELLER_REPO}/manifests/v1", target.endpoint);
    let resp = http
        .get(&url)
        .header("authorization", format!("Basic {auth}"))
        .header("accept", MANIFEST_TYPES)
        .send()
        .await?
        .error_for_status()
        .with_context(|| format!("GET {url}"))?;
    let media_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/vnd.oci.image.manifest.v1+json")
        .to_owned();
    let body = resp.bytes().await?.to_vec();
    let doc: Value = serde_json::from_slice(&body).context("the manifest is not JSON")?;
    let entries: Vec<&Value> = std::iter::once(&doc["config"])
        .chain(doc["layers"].as_array().into_iter().flatten())
        .collect();
    let mut blobs = Vec::new();
    let mut bytes = 0;
    for e in entries {
        let digest = e["digest"]
            .as_str()
            .ok_or_else(|| anyhow!("a manifest entry without a digest: {e}"))?;
        blobs.push(digest.to_owned());
        bytes += e["size"].as_u64().unwrap_or(0);
    }
    Ok(Manifest {
        media_type,
        body,
        blobs,
        bytes,
    })
}

/// CreateModelPackage of the image and model, certified, with one
/// validation profile (a transform job of three records); its ARN once
/// Completed.
async fn certified_package(client: &Client, image: &str) -> anyhow::Result<String> {
    let name = format!("bench-publish-{}", std::process::id());
    let req = json!({
        "ModelPackageName": name,
        "InferenceSpecification": {
            "Containers": [{"Image": image, "ModelDataUrl": format!("s3://{BUCKET}/{MODEL_KEY}")}],
            "SupportedTransformInstanceTypes": ["ml.m5.large", "ml.m5.xlarge"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
        "CertifyForMarketplace": true,
        "ValidationSpecification": {"ValidationRole": "arn:aws:iam::123456789012:role/bench", "ValidationProfiles": [{
            "ProfileName": "bench",
            "TransformJobDefinition": {
                "MaxConcurrentTransforms": 1, "MaxPayloadInMB": 6, "BatchStrategy": "MultiRecord",
                "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": format!("s3://{BUCKET}/batch/")}},
                                   "ContentType": "text/csv", "SplitType": "Line"},
                "TransformOutput": {"S3OutputPath": format!("s3://{BUCKET}/out/"), "Accept": "text/csv", "AssembleWith": "Line"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            }}]},
    });
    let created = call(client, "sagemaker", "SageMaker.CreateModelPackage", req).await?;
    let arn = created["ModelPackageArn"]
        .as_str()
        .ok_or_else(|| anyhow!("CreateModelPackage: no ARN in {created}"))?
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let d = call(
            client,
            "sagemaker",
            "SageMaker.DescribeModelPackage",
            json!({"ModelPackageName": name}),
        )
        .await?;
        match d["ModelPackageStatus"].as_str() {
            Some("Completed") => return Ok(arn),
            Some("Failed") => bail!(
                "{name} failed validation: {}",
                d["ModelPackageStatusDetails"]
            ),
            _ if Instant::now() > deadline => bail!("{name} is still {}", d["ModelPackageStatus"]),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The copy without the Catalog: a new repository of the seller's account
/// given the image by cross-repository mounts and a manifest PUT, and the
/// model copied by CopyObject.
async fn plain_copy(s: &Seller, round: u32) -> anyhow::Result<Duration> {
    let repo = format!("bench-copy-{round}");
    let registry = |method, path: String| {
        s.http
            .request(method, format!("{}{path}", s.target.endpoint))
            .header("authorization", format!("Basic {}", s.registry_auth))
    };
    let started = Instant::now();
    call(
        &s.client,
        "ecr",
        &format!("{ECR}.CreateRepository"),
        json!({"repositoryName": repo}),
    )
    .await?;
    for digest in &s.manifest.blobs {
        let path = format!("/v2/{repo}/blobs/uploads/?mount={digest}&from={SELLER_REPO}");
        let r = registry(Method::POST, path).send().await?;
        if r.status() != reqwest::StatusCode::CREATED {
            bail!(
                "mounting {digest}: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            );
        }
    }
    registry(Method::PUT, format!("/v2/{repo}/manifests/v1"))
        .header("content-type", &s.manifest.media_type)
        .body(s.manifest.body.clone())
        .send()
        .await?
        .error_for_status()
        .context("PUT of the manifest")?;
    let url = format!("{}/{BUCKET}/copies/{round}/model.tar.gz", s.target.endpoint);
    let source = format!("/{BUCKET}/{MODEL_KEY}");
    let headers = [("x-amz-copy-source", source.as_str())];
    let mut req = s.http.put(&url).header("x-amz-copy-source", &source);
    for (k, v) in crate::s3::signed_with(&s.target, "PUT", &url, &headers)? {
        req = req.header(k, v);
    }
    let r = req.send().await.context("CopyObject")?;
    if !r.status().is_success() {
        bail!(
            "CopyObject: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        );
    }
    Ok(started.elapsed())
}

/// One change set publishing the package as a new product's first version,
/// released, with an offer; its wall time from StartChangeSet to SUCCEEDED
/// and the last DescribeChangeSet.
async fn publish(s: &Seller, round: u32) -> anyhow::Result<(Duration, Value)> {
    let body = json!({"Catalog": CATALOG, "ChangeSet": changes(&s.package_arn, round)}).to_string();
    let started = Instant::now();
    let r = s
        .client
        .rest_json(
            Method::POST,
            "/StartChangeSet",
            "aws-marketplace",
            body.as_bytes(),
        )
        .await?;
    if r.status != 200 {
        bail!(
            "StartChangeSet: HTTP {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    let started_doc: Value = serde_json::from_slice(&r.body)?;
    let id = started_doc["ChangeSetId"]
        .as_str()
        .ok_or_else(|| anyhow!("StartChangeSet: no ChangeSetId in {started_doc}"))?;
    let path = format!("/DescribeChangeSet?catalog={CATALOG}&changeSetId={id}");
    let deadline = started + Duration::from_secs(120);
    loop {
        let r = s
            .client
            .rest_json(Method::GET, &path, "aws-marketplace", b"")
            .await?;
        let d: Value = serde_json::from_slice(&r.body)
            .with_context(|| format!("DescribeChangeSet: HTTP {}", r.status))?;
        match d["Status"].as_str() {
            Some("SUCCEEDED") => return Ok((started.elapsed(), d)),
            Some("FAILED" | "CANCELLED") => bail!("change set {id}: {d}"),
            None => bail!("DescribeChangeSet: HTTP {}: {d}", r.status),
            Some(other) if Instant::now() > deadline => bail!("change set {id} is still {other}"),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// That SUCCEEDED meant a copy (untimed, once): the new version serves a
/// model package other than the seller's, whose container names the
/// seller's image by digest in the product's repository and the model in
/// the marketplace's bucket.
async fn check_copy(s: &Seller, done: &Value) -> anyhow::Result<()> {
    let product = done["ChangeSet"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["ChangeType"] == "CreateProduct")
        .and_then(|c| c["Entity"]["Identifier"].as_str())
        .and_then(|id| id.split('@').next())
        .ok_or_else(|| anyhow!("no product in {done}"))?;
    let path = format!("/DescribeEntity?catalog={CATALOG}&entityId={product}");
    let r = s
        .client
        .rest_json(Method::GET, &path, "aws-marketplace", b"")
        .await?;
    let entity: Value = serde_json::from_slice(&r.body)?;
    let copy_arn = entity["DetailsDocument"]["Versions"][0]["Sources"][0]["ModelPackageArn"]
        .as_str()
        .ok_or_else(|| anyhow!("DescribeEntity {product}: no version source in {entity}"))?;
    if copy_arn == s.package_arn {
        bail!("the version serves the seller's own package, not a copy");
    }
    let copy = call(
        &s.client,
        "sagemaker",
        "SageMaker.DescribeModelPackage",
        json!({"ModelPackageName": copy_arn}),
    )
    .await?;
    let c = &copy["InferenceSpecification"]["Containers"][0];
    let image = c["Image"].as_str().unwrap_or_default();
    let model = c["ModelDataUrl"].as_str().unwrap_or_default();
    if !image.contains(&format!("/{product}@sha256:"))
        || !model.starts_with("s3://sagemaker-marketplace-")
    {
        bail!("the published copy does not point at copied bytes: {c}");
    }
    Ok(())
}

/// The change set of the e2e test's `publish_changes`: a product, its
/// description, one version delivering the package, an offer with usage
/// prices for the package's instance types, and the release.
fn changes(package_arn: &str, round: u32) -> Value {
    let product = "$CreateProductChange.Entity.Identifier";
    let keys = [
        "ml.m5.large.m.i.b",
        "ml.m5.xlarge.m.i.b",
        "ml.m5.large.m.i.r",
    ];
    let rates: Vec<Value> = keys
        .iter()
        .map(|k| json!({"DimensionKey": k, "Price": 0.25}))
        .collect();
    json!([
        {"ChangeType": "CreateProduct", "Entity": {"Type": "MachineLearningProduct@1.0"},
         "DetailsDocument": {"ProductTitle": format!("Bench product {round}")}, "ChangeName": "CreateProductChange"},
        {"ChangeType": "UpdateInformation", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": product},
         "DetailsDocument": {"ShortDescription": "Predicts y = 3a - 2b + 1.", "LongDescription": "A linear model.",
                             "Highlights": ["Fast"], "SearchKeywords": ["linear"], "Categories": ["Machine Learning"]}},
        {"ChangeType": "AddDeliveryOptions", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": product},
         "DetailsDocument": {"Version": {"VersionTitle": "1.0", "ReleaseNotes": "First release."},
             "DeliveryOptions": [{"Details": {"SageMakerModelPackageDeliveryOptionDetails": {
                 "SageMakerModelPackageArn": package_arn, "UsageInstructions": "POST text/csv rows of two numbers.",
                 "RecommendedInstanceTypes": {"BatchTransform": "ml.m5.large", "RealtimeInference": "ml.m5.large"}}}}]}},
        {"ChangeType": "CreateOffer", "Entity": {"Type": "Offer@1.0"},
         "DetailsDocument": {"ProductId": product}, "ChangeName": "CreateOfferChange"},
        {"ChangeType": "UpdatePricingTerms", "Entity": {"Type": "Offer@1.0", "Identifier": "$CreateOfferChange.Entity.Identifier"},
         "DetailsDocument": {"PricingModel": "Usage", "Terms": [{"Type": "UsageBasedPricingTerm", "CurrencyCode": "USD",
             "RateCards": [{"RateCard": rates}]}]}},
        {"ChangeType": "ReleaseProduct", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": product},
         "DetailsDocument": {}},
    ])
}
