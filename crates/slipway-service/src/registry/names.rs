//! Repository names, tags and digests as the OCI distribution spec and ECR
//! accept them. Checked before any storage call, so names such as
//! `../x`, `a//b` or `%2e%2e` never reach a query or a path.

use super::RegistryError;

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

/// Only `sha256:<64 lowercase hex>` is stored; other algorithms are refused
/// as unsupported, malformed digests as invalid.
pub fn check_digest(d: &str) -> Result<(), RegistryError> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(RegistryError::DigestInvalid(format!(
            "{d:?} is not a digest"
        )));
    };
    if algo != "sha256" {
        let known = matches!(algo, "sha512" | "sha384");
        return Err(if known {
            RegistryError::Unsupported(format!("digest algorithm {algo} is not supported"))
        } else {
            RegistryError::DigestInvalid(format!("unknown digest algorithm in {d:?}"))
        });
    }
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(RegistryError::DigestInvalid(format!(
            "{d:?}: a sha256 digest is 64 lowercase hex digits"
        )));
    }
    Ok(())
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
        assert!(matches!(
            check_digest(&format!("sha512:{}", "0".repeat(128))),
            Err(RegistryError::Unsupported(_))
        ));
        assert!(is_digest(&d) && !is_digest("latest"));
    }
}
