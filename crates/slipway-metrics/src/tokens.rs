//! Paging tokens: an opaque position (how many items earlier pages
//! returned), tagged with the operation so one API's token is refused by
//! the other.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub(crate) fn encode(kind: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{offset}"))
}

/// The offset in a token of `kind`, or `None` when it is not one.
pub(crate) fn decode(kind: &str, token: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = std::str::from_utf8(&raw).ok()?;
    text.strip_prefix(kind)?.strip_prefix(':')?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_round_trip_and_refuse_other_kinds() {
        let t = super::encode("lm", 500);
        assert_eq!(super::decode("lm", &t), Some(500));
        assert_eq!(super::decode("gmd", &t), None);
        assert_eq!(super::decode("lm", "not a token!"), None);
    }
}
