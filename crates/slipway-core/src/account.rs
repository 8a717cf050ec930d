//! Accounts and access keys: the unit of isolation between sellers.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A 12-digit AWS-style account id. Every resource, object and image
/// belongs to exactly one, and one account never sees another's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// Accepts exactly twelve ASCII digits, as AWS account ids are.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())).then(|| Self(s.to_owned()))
    }

    /// A fresh random id (never starting with 0, so it reads as a number).
    pub fn random() -> Self {
        let mut rng = rand::thread_rng();
        let first = rng.gen_range(1..=9u8);
        let rest: String = (0..11)
            .map(|_| char::from(b'0' + rng.gen_range(0..=9u8)))
            .collect();
        Self(format!("{first}{rest}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("account id must be 12 digits, got {s:?}"))
    }
}

impl From<AccountId> for String {
    fn from(a: AccountId) -> String {
        a.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An access key pair mapped to an account. The secret is kept because
/// SigV4 verification needs it to recompute signatures (HMAC, not a hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account: AccountId,
}

impl AccessKey {
    /// A new random key pair in AWS's visual format (`AKIA` + 16 upper
    /// alphanumerics; 40-character secret), so tools that sanity-check key
    /// shapes accept it.
    pub fn generate(account: AccountId) -> Self {
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut rng = rand::thread_rng();
        let id: String = (0..16)
            .map(|_| char::from(UPPER[rng.gen_range(0..UPPER.len())]))
            .collect();
        let secret: String = (0..40)
            .map(|_| char::from(SECRET[rng.gen_range(0..SECRET.len())]))
            .collect();
        Self {
            access_key_id: format!("AKIA{id}"),
            secret_access_key: secret,
            account,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_some());
        assert!(AccountId::parse("12345678901").is_none());
        assert!(AccountId::parse("12345678901a").is_none());
        for _ in 0..100 {
            let a = AccountId::random();
            assert!(AccountId::parse(a.as_str()).is_some(), "{a}");
        }
    }

    #[test]
    fn generated_keys_look_like_aws_keys() {
        let k = AccessKey::generate(AccountId::random());
        assert!(k.access_key_id.starts_with("AKIA"));
        assert_eq!(k.access_key_id.len(), 20);
        assert_eq!(k.secret_access_key.len(), 40);
    }
}
