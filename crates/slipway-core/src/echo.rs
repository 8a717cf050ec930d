//! The request document a Describe* operation echoes back.
//!
//! AWS returns a resource's specification exactly as it was sent,
//! accept-and-store members included (docs/contracts.md §2.4, §2.6, §2.8). The wire
//! layer builds that document from the request it decoded; the control
//! plane stores it beside the typed spec it acts on and hands it back
//! unread. Nothing below the wire looks inside: it carries AWS member
//! names, which are the wire's business.

use serde::{Deserialize, Serialize};

/// An opaque stored document, rendered and read only by the wire layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Echo(serde_json::Value);

impl Echo {
    pub fn new(document: serde_json::Value) -> Self {
        Self(document)
    }

    pub fn as_value(&self) -> &serde_json::Value {
        &self.0
    }

    pub fn into_value(self) -> serde_json::Value {
        self.0
    }
}

/// One change to an echo's top-level member, built by the wire layer
/// (UpdateModelPackage) and applied by the control plane without reading
/// the member names or values.
#[derive(Debug, Clone, PartialEq)]
pub enum EchoEdit {
    /// Sets (replaces) the member.
    Set(String, serde_json::Value),
    /// Adds these entries to the member's object (creating it).
    Extend(String, serde_json::Map<String, serde_json::Value>),
    /// Removes these keys from the member's object.
    RemoveKeys(String, Vec<String>),
    /// Appends to the member's list (creating it).
    Append(String, Vec<serde_json::Value>),
}

/// Edits applied in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EchoPatch(pub Vec<EchoEdit>);

impl Echo {
    pub fn apply(&mut self, patch: &EchoPatch) {
        use serde_json::Value;
        if !self.0.is_object() {
            self.0 = Value::Object(serde_json::Map::new());
        }
        let Value::Object(doc) = &mut self.0 else {
            return;
        };
        for edit in &patch.0 {
            match edit {
                EchoEdit::Set(member, value) => {
                    doc.insert(member.clone(), value.clone());
                }
                EchoEdit::Extend(member, entries) => {
                    let slot = doc
                        .entry(member.clone())
                        .or_insert_with(|| Value::Object(serde_json::Map::new()));
                    if let Value::Object(m) = slot {
                        m.extend(entries.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                }
                EchoEdit::RemoveKeys(member, keys) => {
                    if let Some(Value::Object(m)) = doc.get_mut(member) {
                        for k in keys {
                            m.remove(k);
                        }
                    }
                }
                EchoEdit::Append(member, values) => {
                    let slot = doc
                        .entry(member.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(list) = slot {
                        list.extend(values.iter().cloned());
                    }
                }
            }
        }
    }
}
