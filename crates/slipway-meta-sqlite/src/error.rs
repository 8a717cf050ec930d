//! The adapter's own error, and how it reaches the ports.
//!
//! Everything below a port fails with `StoreError`: the database failed,
//! or a stored value does not decode into the port's types (invalid JSON,
//! an unknown kind, a malformed account id or blob key, a negative size).
//! Bad stored data is an error, never a panic. Each port's error type
//! carries it as `Backend` text: a caller cannot act on either.

use slipway_core::ports::blob::BlobKey;
use slipway_core::ports::identity::IdentityError;
use slipway_core::ports::logs::LogError;
use slipway_core::ports::metadata::MetaError;
use slipway_core::AccountId;
use std::convert::Infallible;
use std::fmt::Display;

#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// SQLite or sqlx failed, including a column whose stored value does
    /// not decode as the row struct's field type.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("corrupt {table} row: {what}")]
    Corrupt { table: &'static str, what: String },
    /// A value the schema cannot hold (a size beyond `i64`).
    #[error("{0}")]
    Encode(String),
}

/// A conversion that cannot fail (`From`) used where one that can is expected.
impl From<Infallible> for StoreError {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

impl From<StoreError> for MetaError {
    fn from(e: StoreError) -> Self {
        MetaError::Backend(e.to_string())
    }
}

impl From<StoreError> for LogError {
    fn from(e: StoreError) -> Self {
        LogError::Backend(e.to_string())
    }
}

impl From<StoreError> for IdentityError {
    fn from(e: StoreError) -> Self {
        IdentityError::Backend(e.to_string())
    }
}

/// A table, named in the errors its stored values produce. The checks a
/// stored column goes through on its way to a port type live here, so
/// every table reports bad data the same way.
#[derive(Clone, Copy)]
pub(crate) struct Table(pub(crate) &'static str);

impl Table {
    pub(crate) fn corrupt(self, what: impl Display) -> StoreError {
        StoreError::Corrupt {
            table: self.0,
            what: what.to_string(),
        }
    }

    /// A JSON column.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        self,
        column: &str,
        text: &str,
    ) -> Result<T, StoreError> {
        serde_json::from_str(text).map_err(|e| self.corrupt(format!("{column}: {e}")))
    }

    pub(crate) fn account(self, column: &str, id: &str) -> Result<AccountId, StoreError> {
        AccountId::parse(id).ok_or_else(|| self.corrupt(format!("{column} {id:?}")))
    }

    pub(crate) fn blob(self, column: &str, key: &str) -> Result<BlobKey, StoreError> {
        BlobKey::parse(key).ok_or_else(|| self.corrupt(format!("{column} {key:?}")))
    }

    /// A byte count (SQLite integers are signed).
    pub(crate) fn size(self, column: &str, v: i64) -> Result<u64, StoreError> {
        u64::try_from(v).map_err(|_| self.corrupt(format!("negative {column} {v}")))
    }
}

/// A byte count as SQLite stores it.
pub(crate) fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Encode(format!("size {v} out of range")))
}

/// A value for a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Encode(e.to_string()))
}
