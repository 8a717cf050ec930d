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

impl AccessKey {
    /// Temporary credentials' key pair: `ASIA` instead of `AKIA`, as STS
    /// issues them (clients and people tell the two apart by the prefix).
    pub fn generate_temporary(account: AccountId) -> Self {
        let mut key = Self::generate(account);
        key.access_key_id.replace_range(0..4, "ASIA");
        key
    }
}

/// `prefix` followed by `n` characters of AWS's upper-case id alphabet:
/// role ids (`AROA` + 17), as IAM makes them.
pub fn random_id(prefix: &str, n: usize) -> String {
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::thread_rng();
    let rest: String = (0..n)
        .map(|_| char::from(UPPER[rng.gen_range(0..UPPER.len())]))
        .collect();
    format!("{prefix}{rest}")
}

/// A session token: 256 random base64 characters (1,536 random bits),
/// opaque to clients as STS's are.
pub fn random_session_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::thread_rng();
    (0..256)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
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
        let t = AccessKey::generate_temporary(AccountId::random());
        assert!(t.access_key_id.starts_with("ASIA"), "{}", t.access_key_id);
        assert_eq!(t.access_key_id.len(), 20);
        assert_eq!(random_id("AROA", 17).len(), 21);
        assert_ne!(random_session_token(), random_session_token());
    }
}
