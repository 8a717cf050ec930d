//! Row decoding: a corrupt or foreign row becomes a `Backend` error, never a panic.

use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccessKey, AccountId, ResourceKind, ResourceRecord};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

pub(crate) const COLUMNS: &str =
    "account, kind, key, name, arn, status, created, modified, parent, version, approval, revision, document, client_token, summary";

/// One row packed as netstrings (`<byte length>:<bytes>`, `~` for NULL),
/// concatenated in column order: SQLite only copies bytes, and
/// `unpack_page` splits them without parsing the document. With
/// `summaries`, the document field carries the row's summary if it has one.
pub(crate) fn packed_row(summaries: bool) -> String {
    let document = if summaries {
        "ifnull(summary, document)"
    } else {
        "document"
    };
    PACKED_ROW.replace("DOC", document)
}

const PACKED_ROW: &str = "CAST(\
    ifnull(length(CAST(key AS BLOB)) || ':' || key, '~') || \
    ifnull(length(CAST(name AS BLOB)) || ':' || name, '~') || \
    ifnull(length(CAST(arn AS BLOB)) || ':' || arn, '~') || \
    ifnull(length(CAST(status AS BLOB)) || ':' || status, '~') || \
    ifnull(length(CAST(created AS TEXT)) || ':' || created, '~') || \
    ifnull(length(CAST(modified AS TEXT)) || ':' || modified, '~') || \
    ifnull(length(CAST(parent AS BLOB)) || ':' || parent, '~') || \
    ifnull(length(CAST(version AS TEXT)) || ':' || version, '~') || \
    ifnull(length(CAST(approval AS BLOB)) || ':' || approval, '~') || \
    ifnull(length(CAST(revision AS TEXT)) || ':' || revision, '~') || \
    ifnull(length(CAST(DOC AS BLOB)) || ':' || DOC, '~') || \
    ifnull(length(CAST(client_token AS BLOB)) || ':' || client_token, '~') AS BLOB)";

/// Splits one netstring field off the front of `buf`.
fn take_field<'a>(buf: &mut &'a [u8]) -> Result<Option<&'a str>, MetaError> {
    if let Some(rest) = buf.strip_prefix(b"~") {
        *buf = rest;
        return Ok(None);
    }
    let colon = buf
        .iter()
        .position(|b| *b == b':')
        .ok_or_else(|| bad("packed page"))?;
    let len: usize = std::str::from_utf8(&buf[..colon])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("packed page length"))?;
    let end = colon + 1 + len;
    let bytes = buf
        .get(colon + 1..end)
        .ok_or_else(|| bad("packed page truncated"))?;
    *buf = &buf[end..];
    std::str::from_utf8(bytes)
        .map(Some)
        .map_err(|_| bad("packed page utf-8"))
}

/// Decodes a page packed with `PACKED_ROW` (rows of `account`/`kind`).
pub(crate) fn unpack_page(
    account: &AccountId,
    kind: ResourceKind,
    mut buf: &[u8],
) -> Result<Vec<ResourceRecord>, MetaError> {
    let mut out = Vec::new();
    let text = |v: Option<&str>| v.map(str::to_owned).ok_or_else(|| bad("packed NULL"));
    let int = |v: Option<&str>| -> Result<i64, MetaError> {
        v.and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("packed integer"))
    };
    while !buf.is_empty() {
        let key = text(take_field(&mut buf)?)?;
        let name = text(take_field(&mut buf)?)?;
        let arn = text(take_field(&mut buf)?)?;
        let status = text(take_field(&mut buf)?)?;
        let created = int(take_field(&mut buf)?)?;
        let modified = int(take_field(&mut buf)?)?;
        let parent = take_field(&mut buf)?.map(str::to_owned);
        let version = take_field(&mut buf)?.map(|v| int(Some(v))).transpose()?;
        let approval = take_field(&mut buf)?.map(str::to_owned);
        let revision = int(take_field(&mut buf)?)?;
        let document = text(take_field(&mut buf)?)?;
        let client_token = take_field(&mut buf)?.map(str::to_owned);
        out.push(ResourceRecord {
            account: account.clone(),
            kind,
            key,
            name,
            arn,
            status,
            created,
            modified,
            parent,
            version,
            approval,
            revision,
            document,
            client_token,
            summary: None,
        });
    }
    Ok(out)
}

/// The stable text stored in the `kind` column.
pub fn kind_to_str(kind: ResourceKind) -> &'static str {
    kind.arn_type()
}

fn bad(what: &str) -> MetaError {
    MetaError::Backend(format!("corrupt metadata row: {what}"))
}

fn col<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    r: &'r SqliteRow,
    name: &str,
) -> Result<T, MetaError> {
    r.try_get(name)
        .map_err(|e| MetaError::Backend(format!("column {name}: {e}")))
}

/// Positional access for the hot path (listings decode up to 101 rows;
/// name lookups showed in profiles). Indexes follow `COLUMNS`.
fn at<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    r: &'r SqliteRow,
    index: usize,
) -> Result<T, MetaError> {
    r.try_get(index)
        .map_err(|e| MetaError::Backend(format!("column {index} of ({COLUMNS}): {e}")))
}

pub(crate) fn record(r: &SqliteRow) -> Result<ResourceRecord, MetaError> {
    let account: &str = at(r, 0)?;
    let kind: &str = at(r, 1)?;
    Ok(ResourceRecord {
        account: AccountId::parse(account).ok_or_else(|| bad("account"))?,
        kind: ResourceKind::from_arn_type(kind).ok_or_else(|| bad("kind"))?,
        key: at(r, 2)?,
        name: at(r, 3)?,
        arn: at(r, 4)?,
        status: at(r, 5)?,
        created: at(r, 6)?,
        modified: at(r, 7)?,
        parent: at(r, 8)?,
        version: at(r, 9)?,
        approval: at(r, 10)?,
        revision: at(r, 11)?,
        document: at(r, 12)?,
        client_token: at(r, 13)?,
        summary: at(r, 14)?,
    })
}

pub(crate) fn access_key(r: &SqliteRow) -> Result<AccessKey, MetaError> {
    let account: String = col(r, "account_id")?;
    Ok(AccessKey {
        access_key_id: col(r, "access_key_id")?,
        secret_access_key: col(r, "secret")?,
        account: AccountId::parse(&account).ok_or_else(|| bad("account_id"))?,
    })
}
