//! Identifiers in AWS's forms: change set ids (25 lower-case letters and
//! digits), product codes (25), entity ids (`prod-` / `offer-` and 13),
//! version and delivery option ids, and the Catalog's ARNs.

use crate::model::EntityType;
use crate::Marketplace;
use rand::Rng;
use slipway_core::AccountId;

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

pub fn random(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn change_set_id() -> String {
    random(25)
}

pub fn product_code() -> String {
    random(25)
}

pub fn entity_id(t: EntityType) -> String {
    format!("{}-{}", t.id_prefix(), random(13))
}

pub fn version_id() -> String {
    format!("ver-{}", random(13))
}

pub fn delivery_option_id() -> String {
    format!("dlo-{}", random(13))
}

/// A 32-hex suffix for a published copy's name, as AWS names its copies.
pub fn copy_suffix() -> String {
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// `arn:aws:aws-marketplace:REGION:ACCOUNT:AWSMarketplace/ChangeSet/ID`.
pub fn change_set_arn(m: &Marketplace, owner: &AccountId, id: &str) -> String {
    format!(
        "arn:aws:aws-marketplace:{}:{owner}:AWSMarketplace/ChangeSet/{id}",
        m.service().region()
    )
}

/// `arn:aws:aws-marketplace:REGION:ACCOUNT:AWSMarketplace/TYPE/ID`.
pub fn entity_arn(m: &Marketplace, owner: &AccountId, t: EntityType, id: &str) -> String {
    format!(
        "arn:aws:aws-marketplace:{}:{owner}:AWSMarketplace/{}/{id}",
        m.service().region(),
        t.name()
    )
}

/// The entity id of an `id` or `id@revision` identifier.
pub fn entity_id_of(identifier: &str) -> &str {
    identifier.split_once('@').map_or(identifier, |(id, _)| id)
}
