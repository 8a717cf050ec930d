//! Model patterns, compiled once and matched against the whole value.
//!
//! The service model's patterns are written for the AWS server, a Java
//! service that matches with `java.util.regex` and `Matcher.matches()`.
//! Java and Rust regexes disagree on a few points that real patterns hit, so
//! each pattern is translated before it is compiled (this is a Slipway
//! decision; AWS does not document its engine):
//!
//! - `\d`, `\w`, `\s` (and `\D`, `\W`, `\S`) are ASCII-only in Java; Rust makes
//!   them Unicode-aware. They become explicit ASCII classes.
//! - `.` in Java excludes every line terminator (`\n`, `\r`, U+0085, U+2028,
//!   U+2029); in Rust only `\n`.
//! - Java's POSIX classes (`\p{Alnum}`, `\p{Punct}` …) do not exist in Rust.
//! - Java writes code points as UTF-16 (`\uD800\uDC00`); Rust needs `\x{10000}`.
//! - Java lets an anchor carry a quantifier (`${1,128}` in
//!   `CustomerMetadataKey`); Rust rejects it. A quantifier with a minimum of at
//!   least one leaves the anchor as is; one that allows zero removes it.
//!
//! One more rewrite keeps compilation cheap: a pattern that is a single
//! character class with a counted repetition (`[\p{L}…]{0,1024}`) would
//! compile into a very large automaton, so it is compiled as `class*` and the
//! count is checked separately, which accepts exactly the same strings.
//!
//! The message shown to clients is always the model's text, unchanged.

use std::fmt;

/// A compiled model pattern. Why a type: the model text (for messages) and
/// the compiled matcher must never drift apart.
pub(crate) struct Pattern {
    source: String,
    regex: fancy_regex::Regex,
    /// Set when the single-class rewrite applies: allowed character counts.
    count: Option<(usize, Option<usize>)>,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

/// Why a model pattern could not be compiled; the model is then rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as the model has it.
    pub pattern: String,
    /// What the regex engine said about the translated pattern.
    pub reason: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pattern {:?}: {}", self.pattern, self.reason)
    }
}

/// Backtracking budget per match. Model patterns are small; a value that
/// needs more than this is treated as not matching (fail closed).
const BACKTRACK_LIMIT: usize = 200_000;

impl Pattern {
    pub(crate) fn compile(source: &str) -> Result<Self, PatternError> {
        let fail = |reason: String| PatternError {
            pattern: source.to_owned(),
            reason,
        };
        let inner = strip_anchors(source);
        let translated = translate(inner).map_err(fail)?;
        let (body, count) = match single_class_repeat(&translated) {
            Some((class, min, max)) => (format!("{class}*"), Some((min, max))),
            None => (translated, None),
        };
        let regex = fancy_regex::RegexBuilder::new(&format!("^(?:{body})$"))
            .backtrack_limit(BACKTRACK_LIMIT)
            .build()
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            source: source.to_owned(),
            regex,
            count,
        })
    }

    /// The pattern exactly as the model has it, for messages.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Whether the whole value matches. An engine error (backtracking budget
    /// exhausted) counts as no match.
    pub(crate) fn is_match(&self, value: &str) -> bool {
        if let Some((min, max)) = self.count {
            let n = value.chars().count();
            if n < min || max.is_some_and(|max| n > max) {
                return false;
            }
        }
        self.regex.is_match(value).unwrap_or(false)
    }
}

/// Drops one leading `^` and one trailing unescaped `$`; the caller anchors
/// the whole pattern anyway.
fn strip_anchors(p: &str) -> &str {
    let p = p.strip_prefix('^').unwrap_or(p);
    match p.strip_suffix('$') {
        Some(rest) if !ends_with_odd_backslashes(rest) => rest,
        _ => p,
    }
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

const JAVA_LINE_TERMINATORS: &str = r"\n\r\x{85}\x{2028}\x{2029}";
const ASCII_SPACE: &str = r"\t\n\x0B\x0C\r ";

/// Java POSIX classes (`\p{Name}`), ASCII-only as in Java without
/// `UNICODE_CHARACTER_CLASS`, as class contents.
fn posix_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => r"\x00-\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => r"!-/:-@\[-`{-~",
        "Graph" => r"!-~",
        "Print" => r" -~",
        "Blank" => r" \t",
        "Cntrl" => r"\x00-\x1F\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => ASCII_SPACE,
        _ => return None,
    })
}

/// Rewrites a Java pattern into fancy-regex syntax (see the module docs).
fn translate(p: &str) -> Result<String, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 16);
    let mut depth = 0usize; // character-class nesting
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err("pattern ends with a lone backslash".into());
                };
                i += 2;
                let in_class = depth > 0;
                let class = |content: &str, negated: bool| match (in_class, negated) {
                    (false, false) => format!("[{content}]"),
                    (false, true) | (true, true) => format!("[^{content}]"),
                    (true, false) => content.to_owned(),
                };
                match e {
                    'd' | 'D' => out.push_str(&class("0-9", e == 'D')),
                    'w' | 'W' => out.push_str(&class("a-zA-Z0-9_", e == 'W')),
                    's' | 'S' => out.push_str(&class(ASCII_SPACE, e == 'S')),
                    'p' | 'P' if chars.get(i) == Some(&'{') => {
                        let end = chars[i..]
                            .iter()
                            .position(|&c| c == '}')
                            .ok_or("unterminated \\p{")?;
                        let name: String = chars[i + 1..i + end].iter().collect();
                        i += end + 1;
                        match posix_class(&name) {
                            Some(content) => out.push_str(&class(content, e == 'P')),
                            None => {
                                out.push('\\');
                                out.push(e);
                                out.push('{');
                                out.push_str(&name);
                                out.push('}');
                            }
                        }
                    }
                    'u' => {
                        let (cp, used) = utf16_escape(&chars[i..])?;
                        i += used;
                        out.push_str(&format!("\\x{{{cp:X}}}"));
                    }
                    _ => {
                        out.push('\\');
                        out.push(e);
                    }
                }
                continue;
            }
            '[' => {
                depth += 1;
                out.push('[');
                // A `]` right after `[` or `[^` is a literal in both dialects.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(']');
            }
            '.' if depth == 0 => {
                out.push_str(&format!("[^{JAVA_LINE_TERMINATORS}]"));
            }
            '^' | '$' if depth == 0 => {
                let (min, used) = quantifier(&chars[i + 1..]);
                if used == 0 || min > 0 {
                    out.push(c);
                }
                i += used;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if depth > 0 {
        return Err("unterminated character class".into());
    }
    Ok(out)
}

/// Reads the hex digits after `\u` (already consumed), joining a UTF-16
/// surrogate pair written as `\uD800\uDC00` into one code point.
fn utf16_escape(rest: &[char]) -> Result<(u32, usize), String> {
    let hex4 = |s: &[char]| -> Option<u32> {
        (s.len() >= 4)
            .then(|| s[..4].iter().collect::<String>())
            .and_then(|h| u32::from_str_radix(&h, 16).ok())
    };
    let hi = hex4(rest).ok_or("\\u needs four hex digits")?;
    if (0xD800..0xDC00).contains(&hi) && rest.get(4) == Some(&'\\') && rest.get(5) == Some(&'u') {
        if let Some(lo) = hex4(&rest[6..]).filter(|lo| (0xDC00..0xE000).contains(lo)) {
            return Ok((0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), 10));
        }
    }
    Ok((hi, 4))
}

/// Parses a quantifier (`*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`, with an
/// optional lazy/possessive suffix) at the start of `s`. Returns its minimum
/// and how many chars it spans (0 if there is none).
fn quantifier(s: &[char]) -> (u64, usize) {
    let (min, mut used) = match s.first() {
        Some('*') | Some('?') => (0, 1),
        Some('+') => (1, 1),
        Some('{') => match s.iter().position(|&c| c == '}') {
            Some(end) => {
                let body: String = s[1..end].iter().collect();
                let min_text = body.split(',').next().unwrap_or("");
                match min_text.parse::<u64>() {
                    Ok(min) if body.chars().all(|c| c.is_ascii_digit() || c == ',') => {
                        (min, end + 1)
                    }
                    _ => return (0, 0),
                }
            }
            None => return (0, 0),
        },
        _ => return (0, 0),
    };
    if matches!(s.get(used), Some('?') | Some('+')) {
        used += 1;
    }
    (min, used)
}

/// Recognises a translated pattern that is one bracket class (or `\p{..}`)
/// followed by `{m}`, `{m,}` or `{m,n}` and nothing else.
fn single_class_repeat(p: &str) -> Option<(&str, usize, Option<usize>)> {
    let bytes = p.as_bytes();
    let class_end = if p.starts_with('[') {
        let mut depth = 0usize;
        let mut i = 0;
        let mut end = None;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        end?
    } else if p.starts_with(r"\p{") || p.starts_with(r"\P{") {
        p.find('}')? + 1
    } else {
        return None;
    };
    let (class, rest) = p.split_at(class_end);
    let body = rest.strip_prefix('{')?.strip_suffix('}')?;
    let (min, max) = match body.split_once(',') {
        None => {
            let n = body.parse().ok()?;
            (n, Some(n))
        }
        Some((min, "")) => (min.parse().ok()?, None),
        Some((min, max)) => (min.parse().ok()?, Some(max.parse().ok()?)),
    };
    Some((class, min, max))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
mod tests {
    use super::*;

    fn m(p: &str, v: &str) -> bool {
        Pattern::compile(p).unwrap().is_match(v)
    }

    #[test]
    fn whole_value_must_match() {
        assert!(m("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "abc-1"));
        assert!(!m("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "bad_name"));
        assert!(!m("[a-z]+", "abc1"));
        assert!(m("^[a-z]+$", "abc"));
    }

    #[test]
    fn look_behind_works() {
        let p = r"(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)";
        assert!(m(p, "my-algo"));
        assert!(!m(p, "my-algo-"));
        assert!(m(p, "arn:aws:sagemaker:us-east-1:123456789012:algorithm/x"));
    }

    #[test]
    fn java_shorthands_are_ascii() {
        assert!(m(r"\d+", "123"));
        assert!(!m(r"\d+", "١٢٣")); // Arabic-Indic digits
        assert!(!m(r"[-\w]+\/.+", "é/json"));
        assert!(m(r"[\S]+", "a\u{a0}b")); // NBSP is not Java whitespace
        assert!(m(r"[\S\s]*", "any\nthing\u{2028}"));
        assert!(!m(".*", "a\rb"));
        assert!(!m(".*", "a\u{2028}b"));
        assert!(m(r"[.]", "."));
        assert!(!m(r"[.]", "x"));
    }

    #[test]
    fn java_posix_and_utf16_escapes() {
        let p = r"arn:[\p{Alnum}\-]+:lambda:[\p{Alnum}\-]+:[0-9]{12}:function:.*";
        assert!(m(p, "arn:aws:lambda:us-east-1:123456789012:function:f"));
        assert!(!m(p, "arn:aws_x:lambda:us-east-1:123456789012:function:f"));
        let p = r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*";
        assert!(m(p, "ok \t😀"));
        assert!(!m(p, "\u{1}"));
    }

    #[test]
    fn quantified_anchor_is_the_anchor() {
        let p = r"([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)${1,128}";
        assert!(m(p, "key:1"));
        assert!(!m(p, "key!"));
        assert_eq!(translate("a$*").unwrap(), "a");
    }

    #[test]
    fn counted_single_class_is_cheap_and_exact() {
        let p = r"[\p{L}\p{M}\p{Z}\p{N}\p{P}]{0,1024}";
        let start = std::time::Instant::now();
        let pat = Pattern::compile(p).unwrap();
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        assert!(pat.is_match(""));
        assert!(pat.is_match(&"é".repeat(1024)));
        assert!(!pat.is_match(&"é".repeat(1025)));
        assert!(!pat.is_match("a$"));
        assert!(m(".{1,3}", "abc"));
        assert!(!m(".{1,3}", ""));
        assert!(!m(".{2}", "abc"));
        assert_eq!(single_class_repeat("[a-z]{2,}"), Some(("[a-z]", 2, None)));
        assert_eq!(single_class_repeat("[a-z]{2}x"), None);
    }

    #[test]
    fn broken_pattern_is_reported() {
        let err = Pattern::compile("[a-").unwrap_err();
        assert_eq!(err.pattern, "[a-");
    }

    #[test]
    fn message_shows_model_text() {
        assert_eq!(Pattern::compile("^a$").unwrap().source(), "^a$");
        assert_eq!(strip_anchors(r"a\$"), r"a\$");
    }
}
