//! The documents the Catalog API answers: DescribeChangeSet's change
//! summaries and DescribeEntity's `DetailsDocument` for a
//! `MachineLearningProduct@1.0` or an `Offer@1.0`, in AWS's member names
//! (the Catalog's documents are free-form JSON on the wire, so their shape
//! is this crate's to render).

use crate::model::{
    Change, ChangeSet, Entity, EntityBody, Offer, OfferState, Product, SourceKind, Version,
};
use serde_json::{json, Map, Value};
use slipway_core::time_util::Micros;

/// `YYYY-MM-DDTHH:MM:SSZ`, as the Catalog API writes dates.
pub fn iso(m: Micros) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(m.div_euclid(1_000_000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&f).unwrap_or_default()
}

fn put(o: &mut Map<String, Value>, k: &str, v: Value) {
    let empty = match &v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(x) => x.is_empty(),
        _ => false,
    };
    if !empty {
        o.insert(k.to_owned(), v);
    }
}

/// The entity's `Identifier` as a change echoes it.
fn identifier(c: &Change) -> Option<String> {
    c.entity_id.clone().or_else(|| c.identifier_sent.clone())
}

/// One `ChangeSummary` of DescribeChangeSet.
pub fn change_summary(c: &Change) -> Value {
    let mut entity = Map::new();
    entity.insert("Type".into(), json!(c.entity_type_sent));
    if let Some(id) = identifier(c) {
        entity.insert("Identifier".into(), json!(id));
    }
    let mut o = Map::new();
    o.insert("ChangeType".into(), json!(c.change_type));
    o.insert("Entity".into(), Value::Object(entity));
    if c.details_as_string {
        o.insert("Details".into(), json!(c.details.to_string()));
    } else {
        o.insert("DetailsDocument".into(), c.details.clone());
    }
    o.insert(
        "ErrorDetailList".into(),
        Value::Array(
            c.errors
                .iter()
                .map(|e| json!({"ErrorCode": e.code, "ErrorMessage": e.message}))
                .collect(),
        ),
    );
    if let Some(n) = &c.change_name {
        o.insert("ChangeName".into(), json!(n));
    }
    Value::Object(o)
}

/// DescribeChangeSet's answer.
pub fn change_set(s: &ChangeSet) -> Value {
    let mut o = Map::new();
    o.insert("ChangeSetId".into(), json!(s.id));
    o.insert("ChangeSetArn".into(), json!(s.arn));
    put(&mut o, "ChangeSetName", json!(s.name));
    o.insert("Intent".into(), json!(s.intent.as_str()));
    o.insert("StartTime".into(), json!(iso(s.start)));
    if let Some(e) = s.end {
        o.insert("EndTime".into(), json!(iso(e)));
    }
    o.insert("Status".into(), json!(s.status.as_str()));
    if let Some(f) = s.failure_code {
        o.insert("FailureCode".into(), json!(f.as_str()));
    }
    put(&mut o, "FailureDescription", json!(s.failure_description));
    o.insert(
        "ChangeSet".into(),
        Value::Array(s.changes.iter().map(change_summary).collect()),
    );
    Value::Object(o)
}

/// One `ChangeSetSummaryListItem` of ListChangeSets.
pub fn change_set_summary(s: &ChangeSet) -> Value {
    let mut o = Map::new();
    o.insert("ChangeSetId".into(), json!(s.id));
    o.insert("ChangeSetArn".into(), json!(s.arn));
    put(&mut o, "ChangeSetName", json!(s.name));
    o.insert("StartTime".into(), json!(iso(s.start)));
    if let Some(e) = s.end {
        o.insert("EndTime".into(), json!(iso(e)));
    }
    o.insert("Status".into(), json!(s.status.as_str()));
    o.insert("EntityIdList".into(), json!(s.entity_ids()));
    if let Some(f) = s.failure_code {
        o.insert("FailureCode".into(), json!(f.as_str()));
    }
    Value::Object(o)
}

fn instance_types(t: &crate::model::InstanceTypes, single: bool) -> Value {
    let mut o = Map::new();
    let pick = |v: &Vec<String>| if single { json!(v.first()) } else { json!(v) };
    put(&mut o, "BatchTransform", pick(&t.batch));
    put(&mut o, "RealtimeInference", pick(&t.realtime));
    put(&mut o, "Training", pick(&t.training));
    Value::Object(o)
}

fn version(v: &Version) -> Value {
    let arn_key = match v.source_kind {
        SourceKind::ModelPackage => "ModelPackageArn",
        SourceKind::Algorithm => "AlgorithmArn",
    };
    let d = &v.delivery;
    let mut option = Map::new();
    option.insert("Id".into(), json!(d.id));
    option.insert("Type".into(), json!(v.source_kind.type_name()));
    option.insert("SourceId".into(), json!(v.source_id));
    option.insert("Title".into(), json!(v.title));
    option.insert("Visibility".into(), json!(d.visibility.as_str()));
    let text = |k: &str| d.details.get(k).cloned().unwrap_or(Value::Null);
    put(
        &mut option,
        "Instructions",
        match text("UsageInstructions") {
            Value::Null => Value::Null,
            u => json!({"Usage": u}),
        },
    );
    put(
        &mut option,
        "RecommendedInstanceTypes",
        instance_types(&d.recommended, true),
    );
    put(
        &mut option,
        "SupportedInstanceTypes",
        instance_types(&d.supported, false),
    );
    for k in [
        "InputProperties",
        "OutputProperties",
        "SampleNotebookUrl",
        "RepositoryUrl",
    ] {
        put(&mut option, k, text(k));
    }
    json!({
        "Id": v.id,
        "VersionTitle": v.title,
        "ReleaseNotes": v.release_notes,
        "CreationDate": iso(v.created),
        "Sources": [{"Type": v.source_kind.type_name(), "Id": v.source_id, arn_key: v.copy_arn}],
        "DeliveryOptions": [Value::Object(option)],
    })
}

fn dimension_name(key: &str) -> (String, String) {
    let (ty, what) = if let Some(t) = key.strip_suffix(".m.i.b") {
        (t, "batch transform with the model package")
    } else if let Some(t) = key.strip_suffix(".m.i.r") {
        (t, "real-time inference with the model package")
    } else if let Some(t) = key.strip_suffix(".a.t") {
        (t, "training with the algorithm")
    } else if let Some(t) = key.strip_suffix(".a.i.b") {
        (t, "batch transform with a model trained by the algorithm")
    } else if let Some(t) = key.strip_suffix(".a.i.r") {
        (
            t,
            "real-time inference with a model trained by the algorithm",
        )
    } else {
        (key, "usage")
    };
    (
        format!("{ty} {what}"),
        format!("Hourly price of {what} on {ty}, per instance"),
    )
}

fn product(p: &Product, region: &str) -> Value {
    let i = &p.info;
    let mut d = Map::new();
    put(&mut d, "ProductTitle", json!(p.title));
    d.insert("ProductCode".into(), json!(p.code));
    put(&mut d, "ShortDescription", json!(i.short_description));
    put(&mut d, "LongDescription", json!(i.long_description));
    put(&mut d, "Sku", json!(i.sku));
    put(&mut d, "Highlights", json!(i.highlights));
    put(&mut d, "SearchKeywords", json!(i.keywords));
    put(&mut d, "Categories", json!(i.categories));
    d.insert("Visibility".into(), json!(p.visibility().as_str()));
    d.insert(
        "ProductState".into(),
        json!(if p.visibility() == crate::model::Visibility::Draft {
            "Draft"
        } else {
            "Active"
        }),
    );
    let mut promo = Map::new();
    put(&mut promo, "LogoUrl", json!(i.logo_url));
    put(
        &mut promo,
        "Videos",
        Value::Array(
            i.video_urls
                .iter()
                .map(|u| json!({"Type": "Link", "Url": u}))
                .collect(),
        ),
    );
    put(
        &mut promo,
        "AdditionalResources",
        json!(i.additional_resources),
    );
    let dimensions: Vec<Value> = p
        .dimension_keys()
        .iter()
        .map(|k| {
            let (name, description) = dimension_name(k);
            json!({"Key": k, "Name": name, "Description": description, "Unit": "Hrs", "Types": ["ExternallyMetered"]})
        })
        .collect();
    let mut o = Map::new();
    o.insert("Description".into(), Value::Object(d));
    put(&mut o, "PromotionalResources", Value::Object(promo));
    put(
        &mut o,
        "SupportInformation",
        match &i.support_description {
            Some(s) => json!({"Description": s}),
            None => Value::Null,
        },
    );
    o.insert(
        "Versions".into(),
        Value::Array(p.versions.iter().map(version).collect()),
    );
    o.insert("Dimensions".into(), Value::Array(dimensions));
    o.insert(
        "Targeting".into(),
        json!({"PositiveTargeting": {"BuyerAccounts": p.buyer_accounts}}),
    );
    o.insert("RegionAvailability".into(), json!({"Regions": [region]}));
    Value::Object(o)
}

fn offer(id: &str, o: &Offer) -> Value {
    let mut terms: Vec<Value> = o.pricing.iter().flat_map(|p| p.terms.clone()).collect();
    terms.extend(o.other_terms.iter().cloned());
    let mut out = Map::new();
    out.insert("Id".into(), json!(id));
    out.insert("ProductId".into(), json!(o.product_id));
    put(&mut out, "Name", json!(o.name));
    put(&mut out, "Description", json!(o.description));
    out.insert(
        "State".into(),
        json!(match o.state {
            OfferState::Draft => "Draft",
            OfferState::Released => "Released",
        }),
    );
    put(
        &mut out,
        "PricingModel",
        json!(o.pricing.as_ref().map(|p| p.model.clone())),
    );
    out.insert("Terms".into(), Value::Array(terms));
    Value::Object(out)
}

/// DescribeEntity's `DetailsDocument`.
pub fn entity_details(e: &Entity, region: &str) -> Value {
    match &e.body {
        EntityBody::Product(p) => product(p, region),
        EntityBody::Offer(o) => offer(&e.id, o),
    }
}

/// The entity's `Visibility` for listings (products), its state (offers).
pub fn entity_visibility(e: &Entity) -> String {
    match &e.body {
        EntityBody::Product(p) => p.visibility().as_str().to_owned(),
        EntityBody::Offer(o) => match o.state {
            OfferState::Draft => "Draft".into(),
            OfferState::Released => "Public".into(),
        },
    }
}
