//! SearchAgreements' filters, sort and paging over the subscriptions the
//! caller is party to (docs/marketplace.md "Agreements"). Pure functions of
//! the request and the list, so the rules are unit-tested without a server.

use super::terms::{last_update, ML_PRODUCT, PURCHASE_AGREEMENT};
use super::validation;
use crate::generated::marketplace_agreement::{Filter, Sort};
use slipway_core::time_util::{epoch_seconds_to_micros, Micros};
use slipway_core::AccountId;
use slipway_marketplace::Subscription;
use slipway_wire_core::error::AwsError;

/// The one catalog.
pub const CATALOG: &str = "AWSMarketplace";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Proposer,
    Acceptor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortBy {
    End,
    Start,
    LastUpdate,
}

/// A parsed SearchAgreements request.
#[derive(Debug, Clone)]
pub struct Query {
    pub party: Party,
    resource_id: Option<String>,
    /// A ResourceType other than MachineLearningProduct: valid, matches nothing.
    other_type: bool,
    offer_id: Option<String>,
    acceptor: Option<String>,
    status: Option<String>,
    /// Exclusive bounds in microseconds: (after, before) of each time.
    end: (Option<Micros>, Option<Micros>),
    start: (Option<Micros>, Option<Micros>),
    updated: (Option<Micros>, Option<Micros>),
    sort_by: SortBy,
    descending: bool,
}

const STATUSES: [&str; 9] = [
    "ACTIVE",
    "ARCHIVED",
    "CANCELLED",
    "EXPIRED",
    "RENEWED",
    "REPLACED",
    "ROLLED_BACK",
    "SUPERSEDED",
    "TERMINATED",
];

/// A filter's time: ISO-8601 (`2026-12-01T00:00:00Z`) or epoch seconds.
fn time(name: &str, v: &str) -> Result<Micros, AwsError> {
    if let Ok(s) = v.parse::<f64>() {
        if s.is_finite() {
            return Ok(epoch_seconds_to_micros(s));
        }
    }
    time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1000) as Micros)
        .map_err(|_| {
            validation(format!(
                "Filter {name} value '{v}' is not a date: use ISO-8601 (2026-12-01T00:00:00Z) or epoch seconds."
            ))
        })
}

impl Query {
    pub fn parse(
        catalog: Option<&str>,
        filters: &[Filter],
        sort: Option<&Sort>,
    ) -> Result<Self, AwsError> {
        match catalog {
            Some(CATALOG) => {}
            Some(c) => {
                return Err(validation(format!(
                    "Catalog '{c}' is not supported. The only catalog is {CATALOG}."
                )))
            }
            None => return Err(validation(format!("catalog is required: use {CATALOG}."))),
        }
        let mut q = Query {
            party: Party::Acceptor,
            resource_id: None,
            other_type: false,
            offer_id: None,
            acceptor: None,
            status: None,
            end: (None, None),
            start: (None, None),
            updated: (None, None),
            sort_by: SortBy::End,
            descending: true,
        };
        let mut party = None;
        let mut seen: Vec<&str> = Vec::new();
        for f in filters {
            let name = f.name.as_deref().unwrap_or_default();
            if name.is_empty() {
                return Err(validation("Every filter needs a name."));
            }
            if seen.contains(&name) {
                return Err(validation(format!("Filter {name} is given twice.")));
            }
            seen.push(name);
            let value = f
                .values
                .as_deref()
                .and_then(|v| v.first())
                .cloned()
                .ok_or_else(|| validation(format!("Filter {name} needs one value.")))?;
            match name {
                "PartyType" => {
                    party = Some(match value.as_str() {
                        "Proposer" => Party::Proposer,
                        "Acceptor" => Party::Acceptor,
                        _ => {
                            return Err(validation(format!(
                                "PartyType '{value}' is not valid: use Proposer or Acceptor."
                            )))
                        }
                    })
                }
                "AgreementType" if value != PURCHASE_AGREEMENT => {
                    return Err(validation(format!(
                        "AgreementType '{value}' is not supported: use {PURCHASE_AGREEMENT}."
                    )))
                }
                "AgreementType" => {}
                "ResourceType" => q.other_type = value != ML_PRODUCT,
                "ResourceIdentifier" => q.resource_id = Some(value),
                "OfferId" => q.offer_id = Some(value),
                "AcceptorAccountId" => q.acceptor = Some(value),
                "Status" if !STATUSES.contains(&value.as_str()) => {
                    return Err(validation(format!(
                        "Status '{value}' is not valid: use one of {}.",
                        STATUSES.join(", ")
                    )))
                }
                "Status" => q.status = Some(value),
                "BeforeEndTime" => q.end.1 = Some(time(name, &value)?),
                "AfterEndTime" => q.end.0 = Some(time(name, &value)?),
                "BeforeStartTime" => q.start.1 = Some(time(name, &value)?),
                "AfterStartTime" => q.start.0 = Some(time(name, &value)?),
                "BeforeLastUpdateTime" => q.updated.1 = Some(time(name, &value)?),
                "AfterLastUpdateTime" => q.updated.0 = Some(time(name, &value)?),
                other => {
                    return Err(validation(format!(
                        "Filter {other} is not supported. Supported: PartyType, AgreementType, ResourceIdentifier, ResourceType, OfferId, AcceptorAccountId, Status, Before/AfterEndTime, Before/AfterStartTime, Before/AfterLastUpdateTime."
                    )))
                }
            }
        }
        q.party = party.ok_or_else(|| {
            validation("Filter PartyType is required: Proposer (agreements on your offers) or Acceptor (agreements you accepted).")
        })?;
        if let Some(s) = sort {
            q.sort_by = match s.sort_by.as_deref() {
                None | Some("EndTime") => SortBy::End,
                Some("StartTime") => SortBy::Start,
                Some("LastUpdateTime") => SortBy::LastUpdate,
                Some(other) => {
                    return Err(validation(format!(
                        "sortBy '{other}' is not valid: use EndTime, StartTime or LastUpdateTime."
                    )))
                }
            };
            if q.sort_by != SortBy::End && q.party != Party::Proposer {
                return Err(validation(
                    "sortBy StartTime and LastUpdateTime are supported only with PartyType Proposer.",
                ));
            }
            q.descending = s.sort_order.as_deref() != Some("ASCENDING");
        }
        Ok(q)
    }

    /// Whether `s` is one `caller` asked for.
    pub fn matches(&self, caller: &AccountId, s: &Subscription) -> bool {
        let party = match self.party {
            Party::Proposer => &s.seller == caller,
            Party::Acceptor => &s.buyer == caller,
        };
        let within = |t: Option<Micros>, (after, before): (Option<Micros>, Option<Micros>)| {
            // An agreement without an end ends after any date.
            let t = t.unwrap_or(Micros::MAX);
            after.is_none_or(|a| t > a) && before.is_none_or(|b| t < b)
        };
        party
            && !self.other_type
            && self.resource_id.as_ref().is_none_or(|r| r == &s.product_id)
            && self.offer_id.as_ref().is_none_or(|o| o == &s.offer_id)
            && self.acceptor.as_ref().is_none_or(|a| a == s.buyer.as_str())
            && self.status.as_ref().is_none_or(|x| x == s.status.as_str())
            && within(s.end, self.end)
            && within(Some(s.start), self.start)
            && within(Some(last_update(s)), self.updated)
    }

    /// Sorts matches (an open-ended agreement's end is the latest);
    /// ties by agreement id, so pages never overlap.
    pub fn sort(&self, hits: &mut [&Subscription]) {
        let key = |s: &Subscription| match self.sort_by {
            SortBy::End => s.end.unwrap_or(Micros::MAX),
            SortBy::Start => s.start,
            SortBy::LastUpdate => last_update(s),
        };
        hits.sort_by(|a, b| {
            let o = key(a)
                .cmp(&key(b))
                .then_with(|| a.agreement_id.cmp(&b.agreement_id));
            if self.descending {
                o.reverse()
            } else {
                o
            }
        });
    }
}

/// One page of `items`: `nextToken` is the position of the next item.
pub fn page<T>(
    items: Vec<T>,
    max_results: Option<i64>,
    next_token: Option<&str>,
    default_max: usize,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let from = match next_token {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= items.len())
            .ok_or_else(|| validation("The nextToken is not valid for this request."))?,
    };
    let max = max_results
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(default_max);
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(from).take(max).collect();
    let end = from + page.len();
    Ok((page, (end < total).then(|| end.to_string())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
mod tests {
    use super::*;
    use slipway_marketplace::SubscriptionStatus;

    fn f(name: &str, v: &str) -> Filter {
        Filter {
            name: Some(name.into()),
            values: Some(vec![v.into()]),
        }
    }

    fn acct(n: u8) -> AccountId {
        AccountId::parse(&format!("{n}").repeat(12)).unwrap()
    }

    fn sub(id: &str, buyer: u8, seller: u8, start: Micros, end: Option<Micros>) -> Subscription {
        Subscription {
            agreement_id: id.into(),
            buyer: acct(buyer),
            seller: acct(seller),
            product_id: format!("prod-{seller}"),
            product_title: "t".into(),
            offer_id: format!("offer-{seller}"),
            status: if end.is_some() {
                SubscriptionStatus::Cancelled
            } else {
                SubscriptionStatus::Active
            },
            start,
            end,
            usable_options: vec![],
            pricing: None,
        }
    }

    fn run(
        caller: u8,
        filters: &[Filter],
        sort: Option<&Sort>,
        subs: &[Subscription],
    ) -> Vec<String> {
        let q = Query::parse(Some(CATALOG), filters, sort).unwrap();
        let mut hits: Vec<&Subscription> = subs
            .iter()
            .filter(|s| q.matches(&acct(caller), s))
            .collect();
        q.sort(&mut hits);
        hits.iter().map(|s| s.agreement_id.clone()).collect()
    }

    #[test]
    fn the_party_type_picks_the_callers_side_and_filters_narrow_it() {
        let subs = [
            sub("agmt-a", 1, 2, 10_000_000, None),
            sub("agmt-b", 3, 2, 20_000_000, Some(30_000_000)),
            sub("agmt-c", 2, 4, 5_000_000, None),
        ];
        let seller = f("PartyType", "Proposer");
        assert_eq!(
            run(2, std::slice::from_ref(&seller), None, &subs),
            ["agmt-a", "agmt-b"]
        );
        assert_eq!(
            run(2, &[f("PartyType", "Acceptor")], None, &subs),
            ["agmt-c"]
        );
        assert_eq!(
            run(
                2,
                &[seller.clone(), f("AcceptorAccountId", "333333333333")],
                None,
                &subs
            ),
            ["agmt-b"]
        );
        assert_eq!(
            run(
                2,
                &[
                    seller.clone(),
                    f("Status", "ACTIVE"),
                    f("AgreementType", "PurchaseAgreement")
                ],
                None,
                &subs
            ),
            ["agmt-a"]
        );
        assert_eq!(
            run(
                2,
                &[
                    seller.clone(),
                    f("ResourceIdentifier", "prod-2"),
                    f("OfferId", "offer-2")
                ],
                None,
                &subs
            )
            .len(),
            2
        );
        assert!(run(
            2,
            &[seller.clone(), f("ResourceType", "SaaSProduct")],
            None,
            &subs
        )
        .is_empty());
        assert_eq!(
            run(
                2,
                &[seller.clone(), f("ResourceType", "MachineLearningProduct")],
                None,
                &subs
            )
            .len(),
            2
        );
        // End-time bounds: an active agreement ends after any date.
        assert_eq!(
            run(2, &[seller.clone(), f("BeforeEndTime", "40")], None, &subs),
            ["agmt-b"]
        );
        assert_eq!(
            run(
                2,
                &[seller.clone(), f("AfterEndTime", "1970-01-01T00:00:40Z")],
                None,
                &subs
            ),
            ["agmt-a"]
        );
        assert_eq!(
            run(2, &[seller.clone(), f("AfterStartTime", "15")], None, &subs),
            ["agmt-b"]
        );
        // Sorting: EndTime descending by default (open-ended first); StartTime ascending for the proposer.
        let asc = Sort {
            sort_by: Some("StartTime".into()),
            sort_order: Some("ASCENDING".into()),
        };
        assert_eq!(run(2, &[seller], Some(&asc), &subs), ["agmt-a", "agmt-b"]);
    }

    #[test]
    fn bad_requests_are_validation_errors() {
        let bad = |catalog: Option<&str>, filters: &[Filter], sort: Option<&Sort>| {
            let e = Query::parse(catalog, filters, sort).unwrap_err();
            assert_eq!(e.code, "ValidationException");
            e.message
        };
        let p = f("PartyType", "Proposer");
        assert!(bad(None, std::slice::from_ref(&p), None).contains("catalog"));
        assert!(bad(Some("Other"), std::slice::from_ref(&p), None).contains("AWSMarketplace"));
        assert!(bad(Some(CATALOG), &[], None).contains("PartyType is required"));
        assert!(
            bad(Some(CATALOG), &[f("PartyType", "Buyer")], None).contains("Proposer or Acceptor")
        );
        assert!(bad(Some(CATALOG), &[p.clone(), p.clone()], None).contains("twice"));
        assert!(bad(Some(CATALOG), &[p.clone(), f("Color", "red")], None).contains("not supported"));
        assert!(bad(Some(CATALOG), &[p.clone(), f("Status", "DONE")], None).contains("ACTIVE"));
        assert!(bad(
            Some(CATALOG),
            &[p.clone(), f("BeforeEndTime", "soon")],
            None
        )
        .contains("ISO-8601"));
        assert!(bad(Some(CATALOG), &[p, f("AgreementType", "Lease")], None)
            .contains("PurchaseAgreement"));
        let by_start = Sort {
            sort_by: Some("StartTime".into()),
            sort_order: None,
        };
        assert!(bad(
            Some(CATALOG),
            &[f("PartyType", "Acceptor")],
            Some(&by_start)
        )
        .contains("Proposer"));
    }

    #[test]
    fn pages_follow_next_tokens_to_the_end() {
        let items: Vec<u32> = (0..5).collect();
        let (a, t) = page(items.clone(), Some(2), None, 50).unwrap();
        assert_eq!((a, t.as_deref()), (vec![0, 1], Some("2")));
        let (b, t) = page(items.clone(), Some(2), Some("2"), 50).unwrap();
        assert_eq!((b, t.as_deref()), (vec![2, 3], Some("4")));
        let (c, t) = page(items.clone(), Some(2), Some("4"), 50).unwrap();
        assert_eq!((c, t), (vec![4], None));
        assert!(page(items.clone(), None, Some("9"), 50).is_err());
        assert!(page(items, None, Some("x"), 50).is_err());
    }
}
