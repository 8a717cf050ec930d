//! FilterLogEvents filter patterns: the term syntax of CloudWatch Logs
//! ("Filter pattern syntax for unstructured log events").
//!
//! Supported, case-sensitive as on AWS:
//! - empty pattern: every event;
//! - `ERROR timeout`: every plain term must appear;
//! - `"connection reset"`: a quoted phrase is one term (spaces included);
//! - `?ERROR ?WARN`: at least one `?` term must appear;
//! - `-DEBUG` / `-"health check"`: the term must not appear.
//!
//! Mixed forms combine with AND: all plain terms, none of the excluded
//! terms, and (when any are given) one of the `?` terms. JSON patterns
//! (`{ $.level = ... }`), space-delimited patterns (`[ip, user, ...]`) and
//! regular expressions (`%...%`) are refused with a clear message rather
//! than silently matched as text.

/// A parsed filter pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterPattern {
    all: Vec<String>,
    any: Vec<String>,
    none: Vec<String>,
}

impl FilterPattern {
    /// Parses a pattern; `Err` carries the reason for the client.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if let Some(first) = trimmed.chars().next() {
            if matches!(first, '{' | '[' | '%') {
                return Err(format!(
                    "Invalid filter pattern '{text}': this server supports term patterns only \
                     (words, \"quoted phrases\", ?optional and -excluded terms), not JSON, \
                     space-delimited or regular-expression patterns."
                ));
            }
        }
        let mut out = Self::default();
        let mut rest = trimmed;
        while !rest.is_empty() {
            let (kind, body) = match rest.as_bytes()[0] {
                b'?' => (Kind::Any, &rest[1..]),
                b'-' if rest.len() > 1 => (Kind::None, &rest[1..]),
                _ => (Kind::All, rest),
            };
            let (term, after) = if let Some(quoted) = body.strip_prefix('"') {
                let end = quoted
                    .find('"')
                    .ok_or_else(|| format!("Invalid filter pattern '{text}': unclosed quote"))?;
                (&quoted[..end], &quoted[end + 1..])
            } else {
                let end = body.find(char::is_whitespace).unwrap_or(body.len());
                (&body[..end], &body[end..])
            };
            if !term.is_empty() {
                let list = match kind {
                    Kind::All => &mut out.all,
                    Kind::Any => &mut out.any,
                    Kind::None => &mut out.none,
                };
                list.push(term.to_owned());
            }
            rest = after.trim_start();
        }
        Ok(out)
    }

    /// Whether an event's message matches.
    pub fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
    }

    /// True for the empty pattern (every event matches).
    pub fn is_empty(&self) -> bool {
        self.all.is_empty() && self.any.is_empty() && self.none.is_empty()
    }
}

enum Kind {
    All,
    Any,
    None,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::FilterPattern;

    fn m(pattern: &str, message: &str) -> bool {
        FilterPattern::parse(pattern).unwrap().matches(message)
    }

    #[test]
    fn terms_phrases_options_and_exclusions() {
        assert!(m("", "anything"));
        assert!(FilterPattern::parse("  ").unwrap().is_empty());
        assert!(m("ERROR disk", "ERROR: disk full"));
        assert!(!m("ERROR disk", "ERROR: memory"));
        assert!(!m("error", "ERROR"), "terms are case-sensitive");
        assert!(m("\"disk full\"", "ERROR: disk full"));
        assert!(!m("\"disk full\"", "full disk"));
        assert!(m("?ERROR ?WARN", "WARN low"));
        assert!(!m("?ERROR ?WARN", "INFO ok"));
        assert!(m("ERROR -retry", "ERROR fatal"));
        assert!(!m("ERROR -retry", "ERROR will retry"));
        assert!(!m("-\"health check\"", "GET /ping health check"));
        assert!(m("epoch ?loss ?acc", "epoch 3 loss=0.1"));
        assert!(!m("epoch ?loss ?acc", "epoch 3"));
        assert!(m("-", "a - b"), "a lone dash is a term");
        assert!(!m("-", "ab"));
    }

    #[test]
    fn odd_input_never_panics() {
        for p in [
            "?", "-", "??", "-?", "?-", "\"\"", "?\"\"", "ü?-ß", "- -", "\t?\u{0}", "-\"ä\"",
        ] {
            if let Ok(f) = FilterPattern::parse(p) {
                let _ = f.matches("some ü message");
            }
        }
        assert!(m("?\"\" ok", "ok"), "an empty quoted term is no term");
    }

    #[test]
    fn unsupported_forms_are_refused() {
        for p in ["{ $.level = \"ERROR\" }", "[ip, user]", "%ERR.*%", "\"open"] {
            assert!(FilterPattern::parse(p).is_err(), "{p}");
        }
    }
}
