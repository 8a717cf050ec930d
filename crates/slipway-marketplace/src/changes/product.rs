//! `MachineLearningProduct@1.0` change types (docs/marketplace.md has
//! each one's details, limits and error codes).

use super::{err, ChangeKind, Fields, PendingCopy, Working};
use crate::model::{
    DeliveryOption, Entity, EntityBody, ErrorDetail, InstanceTypes, OptionVisibility, Product,
    SourceKind, Version, Visibility,
};
use crate::{ids, publish, Result};
use serde_json::Value;

pub async fn apply(
    w: &mut Working<'_>,
    kind: ChangeKind,
    id: &str,
    f: &Fields<'_>,
) -> Result<Vec<ErrorDetail>> {
    if kind == ChangeKind::CreateProduct {
        let title = f.str("ProductTitle", 72, false);
        let now = w.m.service().wall_micros();
        w.out.entities.insert(
            id.to_owned(),
            Entity::new(
                id,
                &w.set.owner,
                now,
                EntityBody::Product(Product {
                    title,
                    code: ids::product_code(),
                    visibility: Some(Visibility::Draft),
                    ..Product::default()
                }),
            ),
        );
        w.touch(id);
        return Ok(Vec::new());
    }
    if w.product(id).is_none() {
        return Ok(vec![err(
            "ENTITY_NOT_FOUND",
            format!("Product {id} is not in this change set's reach: it was not created by an earlier change and is not one of your products."),
        )]);
    }
    let out = match kind {
        ChangeKind::UpdateInformation => update_information(w, id, f),
        ChangeKind::AddDeliveryOptions => return add_delivery_options(w, id, f).await,
        ChangeKind::UpdateDeliveryOptions => update_delivery_options(w, id, f),
        ChangeKind::RestrictDeliveryOptions => restrict(w, id, f),
        ChangeKind::UpdateVisibility => update_visibility(w, id, f),
        ChangeKind::UpdateTargeting => update_targeting(w, id, f),
        ChangeKind::ReleaseProduct => release(w, id),
        _ => Vec::new(),
    };
    w.touch(id);
    Ok(out)
}

fn update_information(w: &mut Working<'_>, id: &str, f: &Fields<'_>) -> Vec<ErrorDetail> {
    let title = f.str("ProductTitle", 72, false);
    let short = f.str("ShortDescription", 1000, false);
    let long = f.str("LongDescription", 5000, false);
    let sku = f.str("Sku", 100, false);
    let logo = f.str("LogoUrl", 2048, false);
    let videos = f.strings("VideoUrls", 0, 1, 2048);
    let highlights = f.strings("Highlights", 1, 3, 500);
    let keywords = f.strings("SearchKeywords", 1, 15, 50);
    let categories = f.strings("Categories", 1, 3, 100);
    let resources = f.objects("AdditionalResources", 0, 3);
    let support = f.str("SupportDescription", 2000, false);
    let Some(p) = w.product_mut(id) else {
        return Vec::new();
    };
    if title.is_some() {
        p.title = title;
    }
    let i = &mut p.info;
    macro_rules! set {
        ($field:expr, $value:expr) => {
            if let Some(v) = $value {
                $field = v.into();
            }
        };
    }
    set!(i.short_description, short.map(Some));
    set!(i.long_description, long.map(Some));
    set!(i.sku, sku.map(Some));
    set!(i.logo_url, logo.map(Some));
    set!(i.video_urls, videos);
    set!(i.highlights, highlights);
    set!(i.keywords, keywords);
    set!(i.categories, categories);
    set!(i.support_description, support.map(Some));
    if let Some(r) = resources {
        i.additional_resources = r.into_iter().cloned().collect();
    }
    Vec::new()
}

/// The one delivery option's details member: its kind and its object.
fn option_details(o: &Value) -> std::result::Result<(SourceKind, &Value), ErrorDetail> {
    let d = o.get("Details").filter(|d| d.is_object()).ok_or_else(|| {
        err(
            "INVALID_INPUT",
            "DeliveryOptions[0].Details is required (an object).",
        )
    })?;
    let pkg = d.get("SageMakerModelPackageDeliveryOptionDetails");
    let algo = d.get("SageMakerAlgorithmDeliveryOptionDetails");
    match (pkg, algo) {
        (Some(v), None) if v.is_object() => Ok((SourceKind::ModelPackage, v)),
        (None, Some(v)) if v.is_object() => Ok((SourceKind::Algorithm, v)),
        _ => Err(err(
            "INVALID_INPUT",
            "DeliveryOptions[0].Details must hold exactly one of SageMakerModelPackageDeliveryOptionDetails and SageMakerAlgorithmDeliveryOptionDetails.",
        )),
    }
}

/// The text members of a delivery option's details, checked for length.
fn check_option_text(kind: SourceKind, d: &Fields<'_>) {
    d.str("AccessRoleArn", 2048, false);
    d.str("UsageInstructions", 10_000, false);
    d.str("SampleNotebookUrl", 2000, false);
    d.str("RepositoryUrl", 2000, false);
    d.object("InputProperties", false);
    d.object("OutputProperties", false);
    d.object("RecommendedInstanceTypes", false);
    d.value(match kind {
        SourceKind::ModelPackage => "SageMakerModelPackageArn",
        SourceKind::Algorithm => "SageMakerAlgorithmArn",
    });
}

/// `RecommendedInstanceTypes`, each checked against what the resource supports.
fn recommended(
    kind: SourceKind,
    d: &Value,
    supported: &InstanceTypes,
    errors: &mut Vec<ErrorDetail>,
) -> InstanceTypes {
    let mut out = InstanceTypes::default();
    let Some(r) = d.get("RecommendedInstanceTypes").and_then(Value::as_object) else {
        return out;
    };
    for (key, value) in r {
        let (list, into) = match key.as_str() {
            "BatchTransform" => (&supported.batch, &mut out.batch),
            "RealtimeInference" => (&supported.realtime, &mut out.realtime),
            "Training" if kind == SourceKind::Algorithm => (&supported.training, &mut out.training),
            "Training" => {
                errors.push(err(
                    "INVALID_INPUT",
                    "RecommendedInstanceTypes.Training applies to algorithms only.",
                ));
                continue;
            }
            other => {
                errors.push(err("INVALID_INPUT", format!("RecommendedInstanceTypes has no member {other}; it has BatchTransform, RealtimeInference and Training.")));
                continue;
            }
        };
        let Some(t) = value.as_str().filter(|t| t.len() <= 24) else {
            errors.push(err("INVALID_INPUT", format!("RecommendedInstanceTypes.{key} must be one instance type name (at most 24 characters).")));
            continue;
        };
        if !list.iter().any(|s| s == t) {
            errors.push(err(
                "INVALID_RECOMMENDED_INSTANCE_TYPE",
                format!(
                    "RecommendedInstanceTypes.{key} {t} is not one of the resource's supported {} instance types ({}). Recommend a supported type, or add it to the resource (a new resource, since supported types cannot change).",
                    key,
                    if list.is_empty() { "none".to_owned() } else { list.join(", ") }
                ),
            ));
            continue;
        }
        into.push(t.to_owned());
    }
    out
}

async fn add_delivery_options(
    w: &mut Working<'_>,
    id: &str,
    f: &Fields<'_>,
) -> Result<Vec<ErrorDetail>> {
    let mut errors = Vec::new();
    let version = f.object("Version", true);
    let options = f.objects("DeliveryOptions", 1, 1);
    let (Some(version), Some(options)) = (version, options) else {
        return Ok(errors);
    };
    let vf = Fields::new(version);
    let title = vf.str("VersionTitle", 64, true);
    let notes = vf.str("ReleaseNotes", 30_000, true);
    errors.extend(vf.finish());
    let (kind, details) = match option_details(options[0]) {
        Ok(x) => x,
        Err(e) => {
            errors.push(e);
            return Ok(errors);
        }
    };
    let df = Fields::new(details);
    check_option_text(kind, &df);
    errors.extend(df.finish());
    let Some(p) = w.product(id) else {
        return Ok(errors);
    };
    if p.visibility() == Visibility::Restricted {
        errors.push(err("INCOMPATIBLE_PRODUCT_STATUS", format!("Product {id} is Restricted: no versions can be added. Make it Limited or Public again first (UpdateVisibility).")));
    }
    if let Some(t) = &title {
        if p.versions.iter().any(|v| &v.title == t) {
            errors.push(err("DUPLICATE_VERSION_TITLE", format!("Product {id} already has a version titled \"{t}\". Version titles must be unique within a product.")));
        }
    }
    if let Some(other) = p.versions.iter().find(|v| v.source_kind != kind) {
        errors.push(err("INCOMPATIBLE_DELIVERY_OPTIONS", format!(
            "Product {id} delivers {} versions (version \"{}\"); a product cannot mix model packages and algorithms. Publish the {} as its own product.",
            other.source_kind.type_name(), other.title, kind.type_name()
        )));
    }
    let arn_key = match kind {
        SourceKind::ModelPackage => "SageMakerModelPackageArn",
        SourceKind::Algorithm => "SageMakerAlgorithmArn",
    };
    let Some(arn) = details
        .get(arn_key)
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        errors.push(err(
            "INVALID_ASSET_ARN",
            format!(
                "{arn_key} is required: the ARN of the validated resource this version delivers."
            ),
        ));
        return Ok(errors);
    };
    if p.versions
        .iter()
        .any(|v| v.seller_arn.eq_ignore_ascii_case(&arn))
    {
        errors.push(err("DUPLICATE_ASSET", format!("{arn} is already delivered by a version of product {id}. Each version needs its own model package or algorithm.")));
    }
    if let Some(role) = details.get("AccessRoleArn").and_then(Value::as_str) {
        let own = format!("arn:aws:iam::{}:role/", w.set.owner);
        if !role.starts_with(&own) || role.len() == own.len() {
            errors.push(err("INVALID_ACCESS_ROLE", format!("AccessRoleArn {role} must be an IAM role of your account ({own}NAME) that AWS Marketplace can assume to read the resource and its images.")));
        }
    }
    let asset = match publish::check_asset(w.m, &w.set.owner, kind, &arn).await? {
        Ok(a) => Some(a),
        Err(mut e) => {
            errors.append(&mut e);
            None
        }
    };
    let Some(asset) = asset else {
        return Ok(errors);
    };
    let rec = recommended(kind, details, &asset.supported, &mut errors);
    if !errors.is_empty() {
        return Ok(errors);
    }
    let (Some(title), Some(notes)) = (title, notes) else {
        return Ok(errors);
    };
    let visibility = match p.visibility() {
        Visibility::Public => OptionVisibility::Public,
        _ => OptionVisibility::Limited,
    };
    let version_id = ids::version_id();
    let copy_name = publish::copy_name(&asset.name);
    let copy_arn = publish::copy_arn(w.m, kind, &copy_name);
    let version = Version {
        id: version_id.clone(),
        title,
        release_notes: notes,
        created: w.m.service().wall_micros(),
        source_id: format!("src-{}", ids::random(13)),
        source_kind: kind,
        seller_arn: arn,
        copy_arn,
        delivery: DeliveryOption {
            id: ids::delivery_option_id(),
            visibility,
            details: details.clone(),
            recommended: rec,
            supported: asset.supported.clone(),
        },
    };
    w.out.copies.push(PendingCopy {
        product_id: id.to_owned(),
        version_id,
        asset,
        copy_name,
    });
    if let Some(p) = w.product_mut(id) {
        p.versions.push(version);
    }
    w.out.new_versions.push(id.to_owned());
    w.touch(id);
    Ok(errors)
}

fn update_delivery_options(w: &mut Working<'_>, id: &str, f: &Fields<'_>) -> Vec<ErrorDetail> {
    let mut errors = Vec::new();
    let Some(options) = f.objects("DeliveryOptions", 1, 50) else {
        return errors;
    };
    for o in options {
        let Some(oid) = o.get("Id").and_then(Value::as_str) else {
            errors.push(err(
                "INVALID_INPUT",
                "Every entry of DeliveryOptions needs the Id of the delivery option to update.",
            ));
            continue;
        };
        let (kind, details) = match option_details(o) {
            Ok(x) => x,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let df = Fields::new(details);
        check_option_text(kind, &df);
        errors.extend(df.finish());
        let Some(p) = w.product(id) else {
            return errors;
        };
        let Some(v) = p.versions.iter().find(|v| v.delivery.id == oid) else {
            errors.push(err(
                "INVALID_DELIVERY_OPTION_IDS",
                format!("Product {id} has no delivery option {oid}."),
            ));
            continue;
        };
        let arn_key = match kind {
            SourceKind::ModelPackage => "SageMakerModelPackageArn",
            SourceKind::Algorithm => "SageMakerAlgorithmArn",
        };
        if kind != v.source_kind {
            errors.push(err("INCOMPATIBLE_DELIVERY_OPTIONS", format!("Delivery option {oid} delivers a {}; its details cannot become {arn_key}'s kind.", v.source_kind.type_name())));
            continue;
        }
        if let Some(a) = details.get(arn_key).and_then(Value::as_str) {
            if !a.eq_ignore_ascii_case(&v.seller_arn) {
                errors.push(err("INVALID_ASSET_ARN", format!("The resource of a version cannot change ({} → {a}). Add a new version (AddDeliveryOptions) for a new resource.", v.seller_arn)));
                continue;
            }
        }
        let supported = v.delivery.supported.clone();
        let rec = recommended(kind, details, &supported, &mut errors);
        if !errors.is_empty() {
            continue;
        }
        let oid = oid.to_owned();
        if let Some(p) = w.product_mut(id) {
            if let Some(v) = p.versions.iter_mut().find(|v| v.delivery.id == oid) {
                if let (Some(old), Some(new)) =
                    (v.delivery.details.as_object_mut(), details.as_object())
                {
                    for (k, val) in new {
                        old.insert(k.clone(), val.clone());
                    }
                }
                if details.get("RecommendedInstanceTypes").is_some() {
                    v.delivery.recommended = rec;
                }
            }
        }
    }
    errors
}

fn restrict(w: &mut Working<'_>, id: &str, f: &Fields<'_>) -> Vec<ErrorDetail> {
    let Some(ids) = f.strings("DeliveryOptionIds", 0, 50, 100) else {
        return Vec::new();
    };
    if ids.is_empty() {
        return vec![err(
            "MISSING_DELIVERY_OPTION_IDS",
            "DeliveryOptionIds is empty: name the delivery options to restrict.",
        )];
    }
    let Some(p) = w.product_mut(id) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for oid in &ids {
        match p.versions.iter().find(|v| &v.delivery.id == oid) {
            None => errors.push(err(
                "INVALID_DELIVERY_OPTION_IDS",
                format!("Product {id} has no delivery option {oid}."),
            )),
            Some(v) if v.delivery.visibility == OptionVisibility::Restricted => errors.push(err(
                "INVALID_DELIVERY_OPTION_STATUS",
                format!(
                    "Delivery option {oid} (version \"{}\") is already Restricted.",
                    v.title
                ),
            )),
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return errors;
    }
    let open = p
        .versions
        .iter()
        .filter(|v| {
            v.delivery.visibility != OptionVisibility::Restricted && !ids.contains(&v.delivery.id)
        })
        .count();
    if open == 0 {
        return vec![err("ALL_DELIVERY_OPTIONS_RESTRICTED", format!(
            "Restricting these would leave product {id} with no available version. Keep at least one version available, or restrict the whole product (UpdateVisibility with TargetVisibility Restricted)."
        ))];
    }
    for v in p
        .versions
        .iter_mut()
        .filter(|v| ids.contains(&v.delivery.id))
    {
        v.delivery.visibility = OptionVisibility::Restricted;
    }
    Vec::new()
}

fn update_visibility(w: &mut Working<'_>, id: &str, f: &Fields<'_>) -> Vec<ErrorDetail> {
    let target = f.str("TargetVisibility", 20, true);
    f.str("ReplacementProductId", 100, false);
    let Some(target) = target else {
        return Vec::new();
    };
    let Some(target) = Visibility::parse(&target).filter(|v| *v != Visibility::Draft) else {
        return vec![err(
            "INVALID_INPUT",
            format!("TargetVisibility {target} is not valid: use Limited, Public or Restricted."),
        )];
    };
    let Some(p) = w.product_mut(id) else {
        return Vec::new();
    };
    let from = p.visibility();
    let allowed = match (from, target) {
        (Visibility::Draft, _) => false,
        (a, b) if a == b => false,
        (Visibility::Public, Visibility::Limited) => false,
        _ => true,
    };
    if !allowed {
        let why = match from {
            Visibility::Draft => "release it first (ReleaseProduct makes it Limited)".to_owned(),
            v if v == target => format!("it is already {}", v.as_str()),
            _ => "a public product can be restricted, not made Limited again".to_owned(),
        };
        return vec![err(
            "INCOMPATIBLE_PRODUCT_STATUS",
            format!(
                "Product {id} is {}; it cannot become {}: {why}.",
                from.as_str(),
                target.as_str()
            ),
        )];
    }
    p.visibility = Some(target);
    let option = match target {
        Visibility::Public => Some(OptionVisibility::Public),
        Visibility::Limited => Some(OptionVisibility::Limited),
        _ => None,
    };
    if let Some(o) = option {
        for v in p
            .versions
            .iter_mut()
            .filter(|v| v.delivery.visibility != OptionVisibility::Restricted)
        {
            v.delivery.visibility = o;
        }
    }
    Vec::new()
}

fn update_targeting(w: &mut Working<'_>, id: &str, f: &Fields<'_>) -> Vec<ErrorDetail> {
    let Some(t) = f.object("PositiveTargeting", true) else {
        return Vec::new();
    };
    let tf = Fields::new(t);
    let accounts = tf.strings("BuyerAccounts", 0, 100, 12);
    let mut errors = tf.finish();
    let Some(accounts) = accounts else {
        return errors;
    };
    if let Some(bad) = accounts
        .iter()
        .find(|a| slipway_core::AccountId::parse(a).is_none())
    {
        errors.push(err(
            "INVALID_INPUT",
            format!("BuyerAccounts entry {bad} is not a 12-digit AWS account id."),
        ));
        return errors;
    }
    if let Some(p) = w.product_mut(id) {
        p.buyer_accounts = accounts;
    }
    errors
}

fn release(w: &mut Working<'_>, id: &str) -> Vec<ErrorDetail> {
    let Some(p) = w.product_mut(id) else {
        return Vec::new();
    };
    if p.visibility() != Visibility::Draft {
        return vec![err(
            "INCOMPATIBLE_PRODUCT_STATUS",
            format!(
                "Product {id} is {}; only a Draft product can be released.",
                p.visibility().as_str()
            ),
        )];
    }
    let mut missing = Vec::new();
    if p.title.as_deref().is_none_or(str::is_empty) {
        missing.push("a title (ProductTitle)");
    }
    if p.versions.is_empty() {
        missing.push("a version (AddDeliveryOptions)");
    }
    if !missing.is_empty() {
        return vec![err(
            "INCOMPATIBLE_PRODUCT_STATUS",
            format!(
                "Product {id} cannot be released yet: it needs {}.",
                missing.join(" and ")
            ),
        )];
    }
    p.visibility = Some(Visibility::Limited);
    Vec::new()
}

/// UPDATE_PRICING_REQUIRED when the product's offer, as this change set
/// leaves it, does not price every dimension of the versions it adds.
pub fn pricing_gap(w: &Working<'_>, id: &str) -> Option<ErrorDetail> {
    let p = w.product(id)?;
    let added: Vec<&String> = w
        .out
        .copies
        .iter()
        .filter(|c| c.product_id == id)
        .map(|c| &c.version_id)
        .collect();
    let keys: Vec<String> = p
        .versions
        .iter()
        .filter(|v| added.contains(&&v.id))
        .flat_map(Version::dimension_keys)
        .collect();
    if keys.is_empty() {
        return None;
    }
    let Some(offer) = w.offer_of(id) else {
        return Some(err("UPDATE_PRICING_REQUIRED", format!(
            "Product {id} has no offer to price this version. Add CreateOffer (ProductId {id} or $ChangeName.Entity.Identifier) and UpdatePricingTerms pricing every dimension: {}.",
            keys.join(", ")
        )));
    };
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !offer.pricing.as_ref().is_some_and(|pr| pr.covers(k)))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
    Some(err("UPDATE_PRICING_REQUIRED", format!(
        "The offer of product {id} does not price every instance type this version supports. Add UpdatePricingTerms with a price for: {}.",
        list.join(", ")
    )))
}
