//! Fetch and decode in one step. Every read is a `query_as` into a
//! storage row struct (`#[derive(FromRow)]`, one per table, in the
//! `*_rows` modules), converted into the port's type by that table's
//! `TryFrom`/`From`; no storage row leaves the adapter.

use crate::error::StoreError;
use sqlx::query::QueryAs;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Executor, FromRow, Sqlite};

/// A query whose rows decode into the storage row `R`.
pub(crate) type RowQuery<'q, R> = QueryAs<'q, Sqlite, R, SqliteArguments<'q>>;

/// The row `query` finds, if any, as a `T`.
pub(crate) async fn optional<'q, 'e, 'c: 'e, R, T, X>(
    query: RowQuery<'q, R>,
    executor: X,
) -> Result<Option<T>, StoreError>
where
    'q: 'e,
    R: for<'r> FromRow<'r, SqliteRow> + Send + Unpin + 'e,
    T: TryFrom<R>,
    StoreError: From<T::Error>,
    X: Executor<'c, Database = Sqlite> + 'e,
{
    match query.fetch_optional(executor).await? {
        Some(row) => Ok(Some(T::try_from(row)?)),
        None => Ok(None),
    }
}

/// Every row `query` finds, as `T`s, in its order.
pub(crate) async fn all<'q, 'e, 'c: 'e, R, T, X>(
    query: RowQuery<'q, R>,
    executor: X,
) -> Result<Vec<T>, StoreError>
where
    'q: 'e,
    R: for<'r> FromRow<'r, SqliteRow> + Send + Unpin + 'e,
    T: TryFrom<R>,
    StoreError: From<T::Error>,
    X: Executor<'c, Database = Sqlite> + 'e,
{
    let rows = query.fetch_all(executor).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(T::try_from(row)?);
    }
    Ok(out)
}

/// Converts `rows` up to the first that fails `keep`: a prefix scan reads
/// on past its prefix, and what lies beyond is neither returned nor decoded.
pub(crate) fn convert_while<R, T>(
    rows: Vec<R>,
    keep: impl Fn(&R) -> bool,
) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R>,
    StoreError: From<T::Error>,
{
    let mut out = Vec::with_capacity(rows.len());
    for row in rows.into_iter().take_while(|r| keep(r)) {
        out.push(T::try_from(row)?);
    }
    Ok(out)
}
