//! Repository names, tags and digests as the OCI distribution spec and ECR
//! accept them. Checked before any storage call, so names such as
//! `../x`, `a//b` or `%2e%2e` never reach a query or a path.

use crate::RegistryError;

/// ECR's repository name rule (2–256 characters; the OCI grammar
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`).
pub fn check_repository_name(name: &str) -> Result<(), RegistryError> {
    let bad = |why: &str| Err(RegistryError::NameInvalid(format!("{name:?}: {why}")));
    if !(2..=256).contains(&name.len()) {
        return bad("must be between 2 and 256 characters long");
    }
    for component in name.split('/') {
        if !component_ok(component) {
            return bad(
                "each /-separated component must be lowercase letters and digits, \
                 separated by '.', '_', '__' or dashes",
            );
        }
    }
    Ok(())
}

fn component_ok(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: '.', '_', '__' or one or more '-'.
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn check_tag(tag: &str) -> Result<(), RegistryError> {
    let b = tag.as_bytes();
    let first_ok = b
        .first()
        .is_some_and(|x| x.is_ascii_alphanumeric() || *x == b'_');
    let rest_ok = b
        .iter()
        .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'));
    if !first_ok || !rest_ok || b.len() > 128 {
        return Err(RegistryError::TagInvalid(format!(
            "{tag:?} must match [a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}}"
        )));
    }
    Ok(())
}

/// Whether a reference is a digest (`algorithm:encoded`) rather than a tag.
pub fn is_digest(reference: &str) -> bool {
    reference.contains(':')
}

/// The digest algorithms content may be named by: sha256 (what every
/// client uses) and sha512 (which the OCI image spec registers and the
/// distribution spec's conformance suite pushes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Sha256,
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm by its name in a digest or a `digest-algorithm`
    /// parameter; any other is refused as `DIGEST_INVALID` (distribution
    /// spec: an unsupported algorithm is a 400).
    pub fn parse(name: &str) -> Result<Self, RegistryError> {
        match name {
            "sha256" => Ok(Self::Sha256),
            "sha512" => Ok(Self::Sha512),
            other => Err(RegistryError::DigestInvalid(format!(
                "digest algorithm {other:?} is not supported (sha256 and sha512 are)"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }

    /// The digest of `bytes` under this algorithm.
    pub fn digest(self, bytes: &[u8]) -> String {
        use sha2::Digest as _;
        match self {
            Self::Sha256 => sha256_digest(bytes),
            Self::Sha512 => format!("sha512:{}", hex::encode(sha2::Sha512::digest(bytes))),
        }
    }
}

/// Checks a digest (`sha256:<64 lowercase hex>` or `sha512:<128 lowercase
/// hex>`) and returns its algorithm. Other algorithms and malformed digests
/// are `DigestInvalid`.
pub fn check_digest(d: &str) -> Result<DigestAlgorithm, RegistryError> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(RegistryError::DigestInvalid(format!(
            "{d:?} is not a digest"
        )));
    };
    let algo = DigestAlgorithm::parse(algo)?;
    if hex.len() != algo.hex_len() || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(RegistryError::DigestInvalid(format!(
            "{d:?}: a {} digest is {} lowercase hex digits",
            algo.name(),
            algo.hex_len()
        )));
    }
    Ok(algo)
}

/// The digest of bytes as the registry names it.
pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_the_oci_grammar() {
        for ok in ["ab", "team/model", "a.b_c__d---e/f0", "x1/y2/z3"] {
            assert!(check_repository_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a", "../etc", "a/../b", "a//b", "/abs", "UPPER", "a..b", "a___b", "a/", "a%2eb", "-a",
            "a.", "a b",
        ] {
            assert!(check_repository_name(bad).is_err(), "{bad}");
        }
        assert!(check_repository_name(&"a".repeat(257)).is_err());
    }

    #[test]
    fn tags_and_digests() {
        assert!(check_tag("v1.0_rc-2").is_ok());
        assert!(check_tag(".hidden").is_err());
        assert!(check_tag(&"a".repeat(129)).is_err());
        let d = sha256_digest(b"");
        assert!(check_digest(&d).is_ok());
        assert!(check_digest("sha256:ABC").is_err());
        assert_eq!(
            check_digest(&format!("sha512:{}", "0".repeat(128))).ok(),
            Some(DigestAlgorithm::Sha512)
        );
        assert_eq!(
            DigestAlgorithm::Sha512.digest(b""),
            "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
             47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        );
        for bad in [
            format!("sha512:{}", "0".repeat(64)),
            format!("sha384:{}", "0".repeat(96)),
            "md5:00".to_owned(),
            "sha256".to_owned(),
        ] {
            assert!(
                matches!(check_digest(&bad), Err(RegistryError::DigestInvalid(_))),
                "{bad}"
            );
        }
        assert!(is_digest(&d) && !is_digest("latest"));
    }
}
