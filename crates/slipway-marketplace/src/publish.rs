//! Publishing a version (docs/marketplace.md "What publishing does"):
//! checking the seller's model package or algorithm as AWS does when a
//! version is added, and copying it into the marketplace's own account —
//! the resource under a generated name, its images by digest into the
//! product's repository, its model artifacts into the marketplace's
//! bucket — so that what buyers use never changes with the seller's
//! later edits or deletions. The copy carries the product id
//! (`ProductId`), which is how the SageMaker Python SDK recognises a
//! Marketplace resource.
//!
//! The copy's Describe document is the seller's echo with the copied
//! locations written in. The echo holds AWS member names; this crate
//! edits those few members because publishing is itself defined in
//! AWS's terms (the Catalog's documents are, too).

use crate::changes::{err, PendingCopy};
use crate::model::{CopyMade, ErrorDetail, InstanceTypes, SourceKind};
use crate::{ids, CatalogError, Marketplace, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccountId, Arn, ResourceKind, ResourceRecord};
use slipway_objects::Conditions;
use slipway_readiness::subject::Subject;
use slipway_service::resources::algorithms::AlgorithmDocument;
use slipway_service::resources::model_packages::ModelPackageDocument;
use std::collections::BTreeMap;

/// An image of the asset, pinned to what the seller's registry holds.
#[derive(Debug, Clone)]
pub struct SourceImage {
    pub uri: String,
    pub repository: String,
    pub digest: String,
}

/// A seller's resource that passed every check.
#[derive(Debug, Clone)]
pub struct Asset {
    pub kind: SourceKind,
    pub record: ResourceRecord,
    pub name: String,
    pub supported: InstanceTypes,
    pub images: Vec<SourceImage>,
}

/// The marketplace's record of a copy (kind `MarketplaceCopy`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CopyRecord {
    product_id: String,
    version_id: String,
    owner: AccountId,
    seller_arn: String,
}

fn copy_key(kind: ResourceKind, key: &str) -> String {
    format!("{}/{}", kind.arn_type(), key)
}

/// A copy's name: the seller's name (cut to fit 63 characters) and 32 hex
/// digits, as AWS names its copies.
pub fn copy_name(seller_name: &str) -> String {
    let stem: String = seller_name.chars().take(30).collect();
    format!("{}-{}", stem.trim_end_matches('-'), ids::copy_suffix())
}

pub fn copy_arn(m: &Marketplace, kind: SourceKind, name: &str) -> String {
    Arn::new(
        m.service().region(),
        &m.config().account,
        kind.resource_kind(),
        name,
    )
    .to_string()
}

/// The bucket holding published model artifacts.
fn bucket(m: &Marketplace) -> String {
    format!(
        "sagemaker-marketplace-{}-{}",
        m.service().region(),
        m.config().account
    )
}

fn invalid_arn(arn: &str, why: &str) -> ErrorDetail {
    err("INVALID_ASSET_ARN", format!("{arn} {why}"))
}

/// Checks `arn` as AWS does when a version is added: it names a resource
/// of the seller's account in this region, validated (Completed), created
/// with CertifyForMarketplace, not derived from an algorithm, with an
/// inference specification, and every image in the seller's own registry.
pub async fn check_asset(
    m: &Marketplace,
    owner: &AccountId,
    kind: SourceKind,
    arn: &str,
) -> Result<std::result::Result<Asset, Vec<ErrorDetail>>> {
    let svc = m.service();
    let label = kind.resource_kind().human();
    let Some(parsed) = Arn::parse(arn) else {
        return Ok(Err(vec![invalid_arn(
            arn,
            &format!("is not the ARN of a SageMaker {label}."),
        )]));
    };
    if parsed.kind != kind.resource_kind() {
        return Ok(Err(vec![invalid_arn(
            arn,
            &format!("names a {}, not a {label}.", parsed.kind.human()),
        )]));
    }
    if parsed.region != svc.region() {
        return Ok(Err(vec![invalid_arn(arn, &format!(
            "is in region {}; this marketplace publishes resources of region {} (create the {label} there).",
            parsed.region, svc.region()
        ))]));
    }
    let not_found = || {
        err("ASSET_NOT_FOUND", format!(
            "{arn} does not exist in your account {owner}. Publish a {label} of your own account, by its exact ARN (DescribeModelPackage / DescribeAlgorithm shows it)."
        ))
    };
    if &parsed.account != owner {
        return Ok(Err(vec![not_found()]));
    }
    let key = parsed.resource.to_ascii_lowercase();
    let record = svc
        .metadata()
        .get(owner, kind.resource_kind(), &key)
        .await
        .map_err(|e| CatalogError::Service(e.into()))?;
    let Some(record) = record else {
        return Ok(Err(vec![not_found()]));
    };
    let subject =
        Subject::of(&record).map_err(|e| CatalogError::internal("reading an asset", e))?;
    let mut errors = Vec::new();
    let unable = |why: String| {
        err(
            "ASSET_VALIDATION_EXCEPTION",
            format!("Unable to ingest {arn} into the marketplace: {why}"),
        )
    };
    if record.status != "Completed" {
        errors.push(unable(format!(
            "its validation status is {}; only a {label} whose validation Completed can be published. Wait for the validation, or fix what it reported and create the {label} again.",
            record.status
        )));
    }
    if !subject.certified {
        errors.push(unable(format!(
            "it was created without CertifyForMarketplace. That cannot be changed: create the {label} again with \"CertifyForMarketplace\": true."
        )));
    }
    if subject.derived_from_algorithm {
        errors.push(unable("it is derived from an algorithm (SourceAlgorithmSpecification); a model package made from an algorithm cannot be published. Publish the algorithm, or build the package from your own image and model artifacts.".into()));
    }
    let inference_images = subject.inference_images();
    if kind == SourceKind::Algorithm && inference_images.is_empty() {
        errors.push(unable("the algorithm has no InferenceSpecification, so buyers could never deploy what they train. Create it again with an inference image.".into()));
    }
    let mut uris: Vec<String> = subject.training_image.iter().cloned().collect();
    uris.extend(inference_images);
    let mut images = Vec::new();
    for uri in uris {
        match svc.registry().resolve_image(owner, &uri).await {
            Ok(Some(r)) => images.push(SourceImage {
                uri,
                repository: r.repository,
                digest: r.digest,
            }),
            Ok(None) => errors.push(unable(format!(
                "image {uri} is not in a registry repository of your account. Push it to this server's registry (an ECR repository of account {owner}) and create the {label} with that image."
            ))),
            Err(e) => errors.push(unable(format!("image {uri} cannot be read from your registry: {e}."))),
        }
    }
    for c in subject.inference.iter().flat_map(|i| &i.containers) {
        if let Some(url) = &c.model_data_url {
            if let Err(why) = head_model_data(m, owner, url).await {
                errors.push(unable(format!("model artifacts {url}: {why}")));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let inference = subject.inference.clone().unwrap_or_default();
    Ok(Ok(Asset {
        kind,
        name: record.name.clone(),
        supported: InstanceTypes {
            batch: inference
                .supported_transform_instance_types
                .unwrap_or_default(),
            realtime: inference
                .supported_realtime_inference_instance_types
                .unwrap_or_default(),
            training: subject.supported_training_types.clone(),
        },
        record,
        images,
    }))
}

fn split_s3(url: &str) -> Option<(&str, &str)> {
    url.strip_prefix("s3://")?
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
}

async fn head_model_data(
    m: &Marketplace,
    owner: &AccountId,
    url: &str,
) -> std::result::Result<(), String> {
    let (bucket, key) = split_s3(url).ok_or_else(|| "not an s3://BUCKET/KEY URL".to_owned())?;
    m.service()
        .objects()
        .head_object(owner, bucket, key, &Conditions::default())
        .await
        .map(|_| ())
        .map_err(|e| format!("cannot be read from your account's storage ({e})"))
}

/// Makes the copy of one pending version. The copy's ARN was fixed while
/// preparing; the record is written last, so a copy is visible only
/// complete.
pub async fn copy(m: &Marketplace, owner: &AccountId, p: &PendingCopy) -> Result<CopyMade> {
    let svc = m.service();
    let mkt = m.config().account.clone();
    let repo = p.product_id.clone();
    let mut image_map = BTreeMap::new();
    for img in &p.asset.images {
        svc.registry()
            .copy_image(owner, &img.repository, &img.digest, &mkt, &repo)
            .await
            .map_err(|e| CatalogError::Service(slipway_service::Error::Registry(e)))?;
        image_map.insert(
            img.uri.clone(),
            format!(
                "{mkt}.dkr.ecr.{}.amazonaws.com/{repo}@{}",
                svc.region(),
                img.digest
            ),
        );
    }
    let kind = p.asset.kind.resource_kind();
    let (document, status) = match p.asset.kind {
        SourceKind::ModelPackage => {
            let mut doc: ModelPackageDocument =
                slipway_service::resources::decode(&p.asset.record)?;
            let mut data_map = BTreeMap::new();
            if let Some(inf) = doc.inference.as_mut() {
                for (i, c) in inf.containers.iter_mut().enumerate() {
                    if let Some(new) = image_map.get(&c.image) {
                        c.image = new.clone();
                    }
                    if let Some(url) = c.model_data_url.clone() {
                        let copied = copy_model_data(
                            m,
                            owner,
                            &url,
                            &format!("{}/{}/{i}", p.product_id, p.version_id),
                        )
                        .await?;
                        data_map.insert(url, copied.clone());
                        c.model_data_url = Some(copied);
                    }
                }
            }
            doc.model_package_name = p.copy_name.clone();
            doc.validation = None;
            let mut echo = doc.echo.clone().into_value();
            rewrite_echo(
                &mut echo,
                "ModelPackageName",
                &p.copy_name,
                &image_map,
                &data_map,
                &p.product_id,
            );
            doc.echo = slipway_core::echo::Echo::new(echo);
            (slipway_service::resources::document(&doc)?, "Completed")
        }
        SourceKind::Algorithm => {
            let mut doc: AlgorithmDocument = slipway_service::resources::decode(&p.asset.record)?;
            if let Some(new) = image_map.get(&doc.spec.training.training_image) {
                doc.spec.training.training_image = new.clone();
            }
            for c in doc
                .spec
                .inference
                .iter_mut()
                .flat_map(|i| i.containers.iter_mut())
            {
                if let Some(new) = image_map.get(&c.image) {
                    c.image = new.clone();
                }
            }
            doc.spec.name = p.copy_name.clone();
            doc.spec.validation = None;
            let mut echo = doc.echo.clone().into_value();
            rewrite_echo(
                &mut echo,
                "AlgorithmName",
                &p.copy_name,
                &image_map,
                &BTreeMap::new(),
                &p.product_id,
            );
            if let Some(o) = echo.as_object_mut() {
                o.insert("ProductId".into(), json!(p.product_id));
            }
            doc.echo = slipway_core::echo::Echo::new(echo);
            (slipway_service::resources::document(&doc)?, "Completed")
        }
    };
    let marker = CopyRecord {
        product_id: p.product_id.clone(),
        version_id: p.version_id.clone(),
        owner: owner.clone(),
        seller_arn: p.asset.record.arn.clone(),
    };
    let marker_doc = serde_json::to_string(&marker)
        .map_err(|e| CatalogError::internal("encoding a copy record", e))?;
    let key = p.copy_name.to_ascii_lowercase();
    let copy_marker = slipway_service::resources::new_record(
        svc,
        &mkt,
        ResourceKind::MarketplaceCopy,
        &copy_key(kind, &key),
        "Active",
        marker_doc,
    );
    insert_or_keep(m, &copy_marker).await?;
    let mut record =
        slipway_service::resources::new_record(svc, &mkt, kind, &p.copy_name, status, document);
    record.summary = summary(&p.asset, &p.copy_name);
    insert_or_keep(m, &record).await?;
    Ok(CopyMade { kind, key })
}

/// The listing summary of the copy (ListModelPackages / ListAlgorithms of
/// the marketplace account read it).
fn summary(asset: &Asset, name: &str) -> Option<String> {
    let mut v: Value = serde_json::from_str(asset.record.summary.as_deref()?).ok()?;
    let o = v.as_object_mut()?;
    for k in ["model_package_name", "name"] {
        if o.contains_key(k) {
            o.insert(k.into(), json!(name));
        }
    }
    serde_json::to_string(&v).ok()
}

async fn insert_or_keep(m: &Marketplace, r: &ResourceRecord) -> Result<()> {
    match m.service().metadata().insert(r, &[]).await {
        // A resumed change set finds what it made before the restart.
        Ok(()) | Err(MetaError::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(CatalogError::Service(e.into())),
    }
}

fn rewrite_echo(
    echo: &mut Value,
    name_member: &str,
    name: &str,
    images: &BTreeMap<String, String>,
    data: &BTreeMap<String, String>,
    product_id: &str,
) {
    let Some(o) = echo.as_object_mut() else {
        return;
    };
    o.insert(name_member.into(), json!(name));
    o.remove("ValidationSpecification");
    if let Some(t) = o
        .get_mut("TrainingSpecification")
        .and_then(Value::as_object_mut)
    {
        if let Some(new) = t
            .get("TrainingImage")
            .and_then(Value::as_str)
            .and_then(|i| images.get(i))
        {
            t.insert("TrainingImage".into(), json!(new));
        }
    }
    let containers = o
        .get_mut("InferenceSpecification")
        .and_then(|i| i.get_mut("Containers"))
        .and_then(Value::as_array_mut);
    for c in containers.into_iter().flatten() {
        let Some(c) = c.as_object_mut() else { continue };
        if let Some(new) = c
            .get("Image")
            .and_then(Value::as_str)
            .and_then(|i| images.get(i))
        {
            let digest = new.rsplit_once('@').map(|(_, d)| d.to_owned());
            c.insert("Image".into(), json!(new));
            if let Some(d) = digest {
                c.insert("ImageDigest".into(), json!(d));
            }
        }
        if let Some(new) = c
            .get("ModelDataUrl")
            .and_then(Value::as_str)
            .and_then(|u| data.get(u))
        {
            c.insert("ModelDataUrl".into(), json!(new));
        }
        c.insert("ProductId".into(), json!(product_id));
    }
}

/// Copies one model artifact into the marketplace's bucket under `prefix`.
async fn copy_model_data(
    m: &Marketplace,
    owner: &AccountId,
    url: &str,
    prefix: &str,
) -> Result<String> {
    let svc = m.service();
    let objects = svc.objects();
    let mkt = &m.config().account;
    let bucket = bucket(m);
    match objects.create_bucket(mkt, &bucket).await {
        Ok(_) | Err(slipway_objects::ObjectError::BucketAlreadyOwnedByYou(_)) => {}
        Err(e) => return Err(CatalogError::Service(slipway_service::Error::Object(e))),
    }
    let (src_bucket, src_key) = split_s3(url).ok_or_else(|| {
        CatalogError::internal("copying model artifacts", format!("{url} is not an S3 URL"))
    })?;
    let got = objects
        .get_object(owner, src_bucket, src_key, &Conditions::default(), None)
        .await
        .map_err(|e| CatalogError::Service(slipway_service::Error::Object(e)))?;
    let file = src_key
        .rsplit('/')
        .next()
        .filter(|f| !f.is_empty())
        .unwrap_or("model.tar.gz");
    let key = format!("{prefix}/{file}");
    objects
        .put_object(
            mkt,
            slipway_objects::PutObject {
                bucket: bucket.clone(),
                key: key.clone(),
                meta: got.object.meta.clone(),
                body: got.body,
                content_md5: None,
                checksums: Vec::new(),
                compute: Vec::new(),
                trailer: None,
                size_hint: Some(got.object.size),
            },
        )
        .await
        .map_err(|e| CatalogError::Service(slipway_service::Error::Object(e)))?;
    Ok(format!("s3://{bucket}/{key}"))
}

/// Removes a copy a failed or interrupted change set made (the images and
/// artifacts it linked stay until the registry's and storage's own
/// collection: nothing refers to them any more).
pub async fn remove(m: &Marketplace, c: &CopyMade) -> Result<()> {
    let store = m.service().metadata();
    let mkt = &m.config().account;
    store
        .delete(mkt, c.kind, &c.key)
        .await
        .map_err(|e| CatalogError::Service(e.into()))?;
    store
        .delete(
            mkt,
            ResourceKind::MarketplaceCopy,
            &copy_key(c.kind, &c.key),
        )
        .await
        .map_err(|e| CatalogError::Service(e.into()))?;
    Ok(())
}

/// The seller of the published copy `key`, if it is one.
pub async fn copy_owner(
    m: &Marketplace,
    kind: ResourceKind,
    key: &str,
) -> Result<Option<AccountId>> {
    let r = m
        .service()
        .metadata()
        .get(
            &m.config().account,
            ResourceKind::MarketplaceCopy,
            &copy_key(kind, key),
        )
        .await
        .map_err(|e| CatalogError::Service(e.into()))?;
    let Some(r) = r else { return Ok(None) };
    let c: CopyRecord = serde_json::from_str(&r.document)
        .map_err(|e| CatalogError::internal("decoding a copy record", e))?;
    Ok(Some(c.owner))
}
