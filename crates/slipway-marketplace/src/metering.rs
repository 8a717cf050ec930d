//! Metering (docs/marketplace.md "Metering"): what runs of published
//! copies used, priced as AWS Marketplace bills ML products. The control
//! plane and hosting report [`Usage`]; each report is stored as a
//! `MarketplaceUsage` record in the marketplace account, keyed by the
//! report's id, with the price of its dimension taken when first recorded
//! (the buyer's subscription snapshot, so a later repricing of the offer
//! does not change what a running agreement pays).

use crate::model::{EntityBody, SourceKind};
use crate::{publish, store, subscriptions, CatalogError, Marketplace, Result};
use serde::{Deserialize, Serialize};
use slipway_core::ports::metadata::{ListQuery, MetaError};
use slipway_core::time_util::Micros;
use slipway_core::{AccountId, Arn, ResourceKind, ResourceRecord};
use slipway_service::marketplace::{Usage, UsageKind};

const KIND: ResourceKind = ResourceKind::MarketplaceUsage;
const MINUTE_MICROS: i64 = 60_000_000;

/// A stored usage record: one run (or one segment of an endpoint's life,
/// or an endpoint's inference count) of one copy by one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub id: String,
    pub user: AccountId,
    pub seller: AccountId,
    /// The seller running its own product: recorded, never billed.
    pub sellers_own: bool,
    pub product_id: String,
    pub version_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_id: Option<String>,
    pub copy_arn: String,
    pub kind: UsageKindDoc,
    /// The pricing dimension key (`ml.m5.large.m.i.r`, `m.i.c`, …).
    pub dimension: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub instance_type: String,
    pub instance_count: u32,
    pub start: Micros,
    pub end: Micros,
    #[serde(default)]
    pub units: u64,
    pub resource_arn: String,
    pub currency: String,
    /// Price per unit of the dimension (per hour, or per inference).
    pub price: f64,
}

/// [`UsageKind`] as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsageKindDoc {
    Training,
    Transform,
    Realtime,
    Inference,
}

impl From<UsageKind> for UsageKindDoc {
    fn from(k: UsageKind) -> Self {
        match k {
            UsageKind::Training => Self::Training,
            UsageKind::Transform => Self::Transform,
            UsageKind::Realtime => Self::Realtime,
            UsageKind::Inference => Self::Inference,
        }
    }
}

impl UsageKindDoc {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Training => "Training",
            Self::Transform => "BatchTransform",
            Self::Realtime => "RealTimeInference",
            Self::Inference => "InferenceCount",
        }
    }
}

/// A usage record as billed.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageLine {
    pub record: UsageRecord,
    /// Hours (`Hrs`) or inferences (`Count`).
    pub quantity: f64,
    pub unit: &'static str,
    /// `quantity × price`; 0 for the seller's own use.
    pub amount: f64,
    /// Wall time the record covers, in whole seconds.
    pub duration_seconds: i64,
}

/// Started minutes of `[start, end]`: AWS prorates instance hours of
/// Marketplace software per minute; a started minute counts whole.
pub fn billed_minutes(start: Micros, end: Micros) -> i64 {
    let span = (end - start).max(0);
    (span + MINUTE_MICROS - 1) / MINUTE_MICROS
}

impl UsageLine {
    pub fn of(record: UsageRecord) -> Self {
        let duration_seconds = (record.end - record.start).max(0) / 1_000_000;
        let (quantity, unit) = match record.kind {
            UsageKindDoc::Inference => (record.units as f64, "Count"),
            _ => {
                let minutes = billed_minutes(record.start, record.end);
                (
                    minutes as f64 * f64::from(record.instance_count) / 60.0,
                    "Hrs",
                )
            }
        };
        let amount = if record.sellers_own {
            0.0
        } else {
            quantity * record.price
        };
        Self {
            record,
            quantity,
            unit,
            amount,
            duration_seconds,
        }
    }
}

/// The dimension a run is billed on (docs/marketplace.md "Pricing
/// dimensions"): the instance type and what ran, `m.` for a model
/// package, `a.` for an algorithm.
pub fn dimension(source: SourceKind, kind: UsageKind, instance_type: &str) -> String {
    let family = match source {
        SourceKind::ModelPackage => "m",
        SourceKind::Algorithm => "a",
    };
    match kind {
        UsageKind::Training => format!("{instance_type}.a.t"),
        UsageKind::Transform => format!("{instance_type}.{family}.i.b"),
        UsageKind::Realtime => format!("{instance_type}.{family}.i.r"),
        UsageKind::Inference => format!("{family}.i.c"),
    }
}

fn meta(e: MetaError) -> CatalogError {
    CatalogError::Service(e.into())
}

fn decode(r: &ResourceRecord) -> Result<UsageRecord> {
    serde_json::from_str(&r.document).map_err(|e| CatalogError::internal("decoding usage", e))
}

/// Records `usage` (see [`slipway_service::marketplace::MarketplaceAccess::record_usage`]).
pub async fn record(m: &Marketplace, usage: Usage) -> Result<()> {
    let Some(copy) = Arn::parse(&usage.copy_arn) else {
        return Err(CatalogError::Validation(format!(
            "{} is not an ARN of a published copy.",
            usage.copy_arn
        )));
    };
    let key = copy.resource.to_ascii_lowercase();
    let Some((product_id, version_id)) = publish::copy_of(m, copy.kind, &key).await? else {
        return Err(CatalogError::NotFound(format!(
            "{} is not a published copy.",
            usage.copy_arn
        )));
    };
    let store = m.service().metadata();
    let account = &m.config().account;
    // Record keys are lower-cased (`new_record`); ids carry names as sent.
    let key = usage.id.to_ascii_lowercase();
    for _ in 0..20 {
        match store.get(account, KIND, &key).await.map_err(meta)? {
            Some(mut r) => {
                let mut doc = decode(&r)?;
                merge(&mut doc, &usage);
                r.document = encode(&doc)?;
                r.modified = m.service().now_micros();
                match store.update(&r).await {
                    Ok(_) => return Ok(()),
                    Err(MetaError::Conflict(_)) => continue,
                    Err(e) => return Err(meta(e)),
                }
            }
            None => {
                let doc = first_record(m, &usage, &product_id, &version_id).await?;
                let mut r = slipway_service::resources::new_record(
                    m.service(),
                    account,
                    KIND,
                    &usage.id,
                    doc.kind.as_str(),
                    encode(&doc)?,
                );
                r.parent = Some(usage.user.as_str().to_owned());
                match store.insert(&r, &[]).await {
                    Ok(()) => return Ok(()),
                    Err(MetaError::AlreadyExists { .. }) => continue,
                    Err(e) => return Err(meta(e)),
                }
            }
        }
    }
    Err(CatalogError::InUse(format!(
        "usage record {} kept changing",
        usage.id
    )))
}

/// A later report of the same run: the end only moves forward (a
/// repeated report changes nothing); inference counts add up.
fn merge(doc: &mut UsageRecord, usage: &Usage) {
    doc.end = doc.end.max(usage.end);
    match usage.kind {
        UsageKind::Inference => doc.units = doc.units.saturating_add(usage.units),
        _ => doc.instance_count = usage.instance_count,
    }
}

fn encode(doc: &UsageRecord) -> Result<String> {
    serde_json::to_string(doc).map_err(|e| CatalogError::internal("encoding usage", e))
}

/// Prices the first report of a run: the product, the version's kind,
/// and who pays (the buyer's agreement) or that it is the seller's own.
async fn first_record(
    m: &Marketplace,
    usage: &Usage,
    product_id: &str,
    version_id: &str,
) -> Result<UsageRecord> {
    let entity = store::entity(m, product_id)
        .await?
        .ok_or_else(|| CatalogError::NotFound(format!("Product {product_id} was not found.")))?;
    let EntityBody::Product(p) = &entity.body else {
        return Err(CatalogError::NotFound(format!(
            "Product {product_id} was not found."
        )));
    };
    let source = p
        .versions
        .iter()
        .find(|v| v.id == version_id)
        .map(|v| v.source_kind)
        .unwrap_or(SourceKind::ModelPackage);
    let dimension = dimension(source, usage.kind, &usage.instance_type);
    let sellers_own = entity.owner == usage.user;
    let (agreement_id, pricing) = if sellers_own {
        let offer = store::all_entities(m)
            .await?
            .into_iter()
            .find_map(|e| match e.body {
                EntityBody::Offer(o) if o.product_id == product_id => o.pricing,
                _ => None,
            });
        (None, offer)
    } else {
        // The latest agreement, even if cancelled since the run started:
        // the run was entitled when it began.
        match subscriptions::latest(m, &usage.user, product_id).await? {
            Some(s) => (Some(s.agreement_id), s.pricing),
            None => (None, None),
        }
    };
    let (currency, price) = match &pricing {
        Some(p) if p.model == "Free" => (p.currency.clone(), 0.0),
        Some(p) => (
            p.currency.clone(),
            p.rates.get(&dimension).copied().unwrap_or(0.0),
        ),
        None => ("USD".to_owned(), 0.0),
    };
    Ok(UsageRecord {
        id: usage.id.clone(),
        user: usage.user.clone(),
        seller: entity.owner.clone(),
        sellers_own,
        product_id: product_id.to_owned(),
        version_id: version_id.to_owned(),
        agreement_id,
        copy_arn: usage.copy_arn.clone(),
        kind: usage.kind.into(),
        dimension,
        instance_type: usage.instance_type.clone(),
        instance_count: usage.instance_count,
        start: usage.start,
        end: usage.end.max(usage.start),
        units: usage.units,
        resource_arn: usage.resource_arn.clone(),
        currency,
        price,
    })
}

/// Which usage GetUsage answers.
#[derive(Debug, Clone, Default)]
pub struct UsageFilter {
    pub product_id: Option<String>,
    pub agreement_id: Option<String>,
}

/// Usage `caller` is party to, as the account that ran it or as the
/// product's seller, oldest first.
pub async fn lines(
    m: &Marketplace,
    caller: &AccountId,
    filter: &UsageFilter,
) -> Result<Vec<UsageLine>> {
    let product = filter
        .product_id
        .as_deref()
        .map(|p| crate::ids::entity_id_of(p).to_ascii_lowercase());
    let mut out = Vec::new();
    let mut q = ListQuery::new(m.config().account.clone(), KIND);
    q.limit = 1000;
    loop {
        let page = m.service().metadata().list(&q).await.map_err(meta)?;
        for r in &page.records {
            let doc = decode(r)?;
            let party = &doc.user == caller || &doc.seller == caller;
            let product_ok = product.as_ref().is_none_or(|p| &doc.product_id == p);
            let agreement_ok = filter
                .agreement_id
                .as_ref()
                .is_none_or(|a| doc.agreement_id.as_ref() == Some(a));
            if party && product_ok && agreement_ok {
                out.push(UsageLine::of(doc));
            }
        }
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    out.sort_by(|a, b| (a.record.start, &a.record.id).cmp(&(b.record.start, &b.record.id)));
    Ok(out)
}

/// The columns of [`usage_csv`].
pub const CSV_HEADER: &str = "product_id,agreement_id,buyer_account_id,seller_account_id,sellers_own_use,usage_type,dimension,instance_type,instance_count,start_time,end_time,duration_seconds,quantity,unit,price,currency,amount,resource_arn";

/// Usage lines as CSV (RFC 4180; times in RFC 3339 UTC), for
/// `slipway marketplace usage --output csv`.
pub fn usage_csv(lines: &[UsageLine]) -> String {
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            let r = &l.record;
            vec![
                r.product_id.clone(),
                r.agreement_id.clone().unwrap_or_default(),
                r.user.as_str().to_owned(),
                r.seller.as_str().to_owned(),
                r.sellers_own.to_string(),
                r.kind.as_str().to_owned(),
                r.dimension.clone(),
                r.instance_type.clone(),
                r.instance_count.to_string(),
                rfc3339(r.start),
                rfc3339(r.end),
                l.duration_seconds.to_string(),
                format!("{:.6}", l.quantity),
                l.unit.to_owned(),
                format!("{}", r.price),
                r.currency.clone(),
                format!("{:.6}", l.amount),
                r.resource_arn.clone(),
            ]
        })
        .collect();
    csv(&rows)
}

/// [`CSV_HEADER`] and `rows` (each in its columns' order), quoted.
pub fn csv(rows: &[Vec<String>]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push_str("\r\n");
    for row in rows {
        let row: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Quotes a field that needs it (RFC 4180), and defuses a leading
/// formula character a spreadsheet would evaluate (names come from users).
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A time as RFC 3339 UTC, to the second.
pub fn rfc3339(m: Micros) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(m.div_euclid(1_000_000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "metering_tests.rs"]
mod tests;
