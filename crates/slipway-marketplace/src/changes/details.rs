//! Reading a change's details document: typed members with AWS's length
//! and count limits, each problem an `INVALID_INPUT` entry naming the
//! member, and members the change type does not have named too (a typo
//! in a member name would otherwise be silently ignored).

use super::err;
use crate::model::ErrorDetail;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Mutex;

pub struct Fields<'a> {
    v: &'a Value,
    // Mutexes rather than cells: a change holds its fields across awaits
    // (asset checks), so they must be shareable between threads.
    seen: Mutex<BTreeSet<String>>,
    errors: Mutex<Vec<ErrorDetail>>,
}

/// A poisoned lock only means another thread panicked mid-change; the
/// data (a set of names, a list of errors) is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

impl<'a> Fields<'a> {
    pub fn new(v: &'a Value) -> Self {
        Self {
            v,
            seen: Mutex::default(),
            errors: Mutex::default(),
        }
    }

    pub fn fail(&self, code: &str, message: impl Into<String>) {
        lock(&self.errors).push(err(code, message));
    }

    fn invalid(&self, message: impl Into<String>) {
        self.fail("INVALID_INPUT", message);
    }

    /// The member `key`, marked as known.
    pub fn value(&self, key: &str) -> Option<&'a Value> {
        lock(&self.seen).insert(key.to_owned());
        self.v.get(key).filter(|v| !v.is_null())
    }

    /// A string of at most `max` characters.
    pub fn str(&self, key: &str, max: usize, required: bool) -> Option<String> {
        match self.value(key) {
            None => {
                if required {
                    self.invalid(format!("{key} is required."));
                }
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() && required => {
                self.invalid(format!("{key} must not be empty."));
                None
            }
            Some(Value::String(s)) if chars(s) > max => {
                self.invalid(format!(
                    "{key} must be at most {max} characters; it has {}.",
                    chars(s)
                ));
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.invalid(format!("{key} must be a string."));
                None
            }
        }
    }

    /// A list of `min..=max` strings of at most `max_len` characters each.
    pub fn strings(
        &self,
        key: &str,
        min: usize,
        max: usize,
        max_len: usize,
    ) -> Option<Vec<String>> {
        let v = self.value(key)?;
        let Some(items) = v.as_array() else {
            self.invalid(format!("{key} must be a list of strings."));
            return None;
        };
        if items.len() < min || items.len() > max {
            self.invalid(format!(
                "{key} must have between {min} and {max} entries; it has {}.",
                items.len()
            ));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            match it.as_str() {
                Some(s) if chars(s) <= max_len => out.push(s.to_owned()),
                Some(s) => {
                    self.invalid(format!(
                        "{key}[{i}] must be at most {max_len} characters; it has {}.",
                        chars(s)
                    ));
                    return None;
                }
                None => {
                    self.invalid(format!("{key}[{i}] must be a string."));
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A list of objects, at most `max`.
    pub fn objects(&self, key: &str, min: usize, max: usize) -> Option<Vec<&'a Value>> {
        let v = self.value(key)?;
        let Some(items) = v.as_array() else {
            self.invalid(format!("{key} must be a list."));
            return None;
        };
        if items.len() < min || items.len() > max {
            self.invalid(format!(
                "{key} must have between {min} and {max} entries; it has {}.",
                items.len()
            ));
            return None;
        }
        if items.iter().any(|i| !i.is_object()) {
            self.invalid(format!("Every entry of {key} must be an object."));
            return None;
        }
        Some(items.iter().collect())
    }

    /// An object member.
    pub fn object(&self, key: &str, required: bool) -> Option<&'a Value> {
        match self.value(key) {
            Some(v) if v.is_object() => Some(v),
            Some(_) => {
                self.invalid(format!("{key} must be an object."));
                None
            }
            None => {
                if required {
                    self.invalid(format!("{key} is required."));
                }
                None
            }
        }
    }

    /// Errors found, and members the change type does not have.
    pub fn finish(&self) -> Vec<ErrorDetail> {
        let mut out = std::mem::take(&mut *lock(&self.errors));
        if let Some(o) = self.v.as_object() {
            let seen = lock(&self.seen);
            let unknown: Vec<&String> = o.keys().filter(|k| !seen.contains(*k)).collect();
            if !unknown.is_empty() {
                let list: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
                out.push(err(
                    "INVALID_INPUT",
                    format!(
                        "Unknown member(s) {} in the details; check the change type's details shape.",
                        list.join(", ")
                    ),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_unknown_members_are_reported() {
        let v = serde_json::json!({"ProductTitle": "x".repeat(73), "Highlights": [], "Typo": 1});
        let f = Fields::new(&v);
        assert_eq!(f.str("ProductTitle", 72, true), None);
        assert_eq!(f.strings("Highlights", 1, 3, 500), None);
        let e = f.finish();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].message.contains("at most 72 characters; it has 73"));
        assert!(e[1].message.contains("between 1 and 3"));
        assert!(e[2].message.contains("Typo"));
    }
}
